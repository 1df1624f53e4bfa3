module example.com/new

go 1.22

require (
	example.com/old v0.0.0
	gopkg.in/yaml.v2 v2.2.8
)
