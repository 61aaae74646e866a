//go:build !(js && wasm)

// Command todo is the example app bundled with Vango. It is meant to be
// compiled with GOOS=js GOARCH=wasm and run in a browser; this stub only
// exists so that native tooling (go vet, go test ./...) works on the module.
package main

import "os"

func main() {
	os.Stdout.WriteString("vango todo: this app runs in the browser; build it with GOOS=js GOARCH=wasm (see README.md)\n")
}
