//! Prints the document model of files after picture recognition; the same as
//! `nianbao inspect FILE...` (kept for scripts that call the example):
//! `cargo run --release --example dump -- FILE...`

fn main() {
    // NB_OCR_TRACE=1 / RUST_LOG show the picture reader's trace here too.
    nianbao::logging::init(0);
    let mut engine = nianbao::ocr::LazyEngine::new();
    let mut out = std::io::stdout().lock();
    for path in std::env::args_os().skip(1) {
        let path = std::path::Path::new(&path);
        if let Err(e) = nianbao::tools::inspect::inspect(path, &mut engine, &mut out) {
            eprintln!("{e}");
            return;
        }
    }
}
