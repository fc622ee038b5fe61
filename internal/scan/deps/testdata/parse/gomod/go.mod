module example.com/app

go 1.22

require (
	golang.org/x/net v0.17.0
	github.com/pkg/errors v0.9.1 // indirect
	example.com/local v1.0.0
)

require golang.org/x/text v0.14.0

replace example.com/local => ../local

replace golang.org/x/text v0.14.0 => golang.org/x/text v0.13.0
