"""Go -> WebAssembly: the toolchain, the module's inputs, the compile and the browser loader."""
