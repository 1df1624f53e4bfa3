// A go.mod with every directive modfile knows.
module example.com/directives

go 1.21

toolchain go1.21.13

godebug (
	default=go1.21
	panicnil=1
)

require (
	github.com/pkg/errors v0.9.1
	golang.org/x/crypto v0.17.0
	"golang.org/x/sys" v0.15.0 // indirect
	gopkg.in/yaml.v3 v3.0.1
	golang.org/x/net v0.19.0 // indirect; needed by crypto
	golang.org/x/mod v0.14.0
)

require `golang.org/x/tools` v0.16.0 // indirect

exclude (
	golang.org/x/crypto v0.16.0
	golang.org/x/mod v0.14.0
)

replace (
	github.com/pkg/errors => github.com/pkg/errors v0.9.0
	golang.org/x/sys v0.15.0 => ../sys
	gopkg.in/yaml.v3 v3.0.0 => gopkg.in/yaml.v3 v3.0.2
)

retract (
	v1.0.0 // published by mistake
	[v1.1.0, v1.1.5]
)

tool (
	golang.org/x/tools/cmd/stringer
	golang.org/x/tools/cmd/goimports
)

ignore ./node_modules
