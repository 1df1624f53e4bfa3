module example.com/ws/cli

go 1.23

require (
	example.com/ws/api v0.0.0
	github.com/spf13/cobra v1.8.1
	golang.org/x/net v0.30.0
)

require github.com/spf13/pflag v1.0.5 // indirect

replace github.com/spf13/cobra => ./third_party/cobra
