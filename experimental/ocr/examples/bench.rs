use image::{GrayImage, imageops};
use ocr::{OcrEngine, OcrMode};
use std::time::Instant;
fn t(eng: &mut ocr::TesseractEngine, g: &GrayImage, mode: OcrMode, name: &str) {
    let t = Instant::now();
    let mut last = Vec::new();
    for _ in 0..5 {
        last = eng.recognise(g, mode).unwrap();
    }
    let s: Vec<String> = last
        .iter()
        .map(|w| format!("{}({:.2})", w.text, w.confidence))
        .collect();
    println!(
        "{name} {mode:?} {}x{} {:?}/call {}",
        g.width(),
        g.height(),
        t.elapsed() / 5,
        s.join(" ")
    );
}
fn main() {
    let mut eng = ocr::TesseractEngine::new().expect("engine");
    let img = image::open("/work/shared/corpus/dev-025.png")
        .unwrap()
        .to_luma8();
    let line = imageops::crop_imm(&img, 630, 480, 420, 45).to_image();
    let lab = imageops::crop_imm(&img, 120, 480, 200, 45).to_image();
    let mut sheet = GrayImage::from_pixel(420, 45 * 6, image::Luma([255]));
    for k in 0..3 {
        imageops::replace(&mut sheet, &line, 0, (k * 90) as i64);
        imageops::replace(&mut sheet, &lab, 0, (k * 90 + 45) as i64);
    }
    t(&mut eng, &line, OcrMode::Chinese, "line");
    t(&mut eng, &lab, OcrMode::Chinese, "label");
    t(&mut eng, &sheet, OcrMode::ChineseBlock, "sheet6");
    let num = imageops::crop_imm(&img, 760, 395, 150, 45).to_image();
    t(&mut eng, &num, OcrMode::Digits, "num");
    let mut strip = GrayImage::from_pixel(150 * 8, 45, image::Luma([255]));
    for k in 0..8 {
        imageops::replace(&mut strip, &num, (k * 150) as i64, 0);
    }
    t(&mut eng, &strip, OcrMode::Digits, "strip8");
}
