package main

import "net/http"

func main() {
	http.Get("http://api.internal.example.com/v1/users")
	http.Get("https://api.internal.example.com/v1/users")
}
