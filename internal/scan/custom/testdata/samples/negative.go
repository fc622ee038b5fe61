package main

// Calls go through https://api.internal.example.com only.
func main() {}
