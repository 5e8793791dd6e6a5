//! `uniffi-bindgen`, pinned to the UniFFI version of crosswire-ffi (bindings/ci.sh runs it in
//! library mode on the built `libcrosswire_ffi`).

fn main() {
    uniffi::uniffi_bindgen_main()
}
