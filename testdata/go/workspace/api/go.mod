module example.com/ws/api

go 1.22

require (
	golang.org/x/net v0.23.0
	golang.org/x/text v0.14.0 // indirect
)

exclude golang.org/x/net v0.22.0
