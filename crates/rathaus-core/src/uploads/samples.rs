//! Files made for tests of the upload checks (also by the integration tests, with the
//! feature `samples`): photos with a location in their metadata, PDFs with compressed
//! object streams.

use std::io::Write;

/// EXIF (big-endian, as many cameras write it) with an orientation and a GPS
/// directory holding a position.
fn exif_with_gps(orientation: u16) -> Vec<u8> {
    let mut exif = b"MM\0*".to_vec();
    exif.extend_from_slice(&8u32.to_be_bytes());
    exif.extend_from_slice(&2u16.to_be_bytes());
    // Orientation
    exif.extend_from_slice(&0x0112u16.to_be_bytes());
    exif.extend_from_slice(&3u16.to_be_bytes());
    exif.extend_from_slice(&1u32.to_be_bytes());
    exif.extend_from_slice(&orientation.to_be_bytes());
    exif.extend_from_slice(&[0, 0]);
    // GPSInfo → the directory at 38
    exif.extend_from_slice(&0x8825u16.to_be_bytes());
    exif.extend_from_slice(&4u16.to_be_bytes());
    exif.extend_from_slice(&1u32.to_be_bytes());
    exif.extend_from_slice(&38u32.to_be_bytes());
    exif.extend_from_slice(&0u32.to_be_bytes());
    // GPS directory: GPSLatitudeRef "N"
    exif.extend_from_slice(&1u16.to_be_bytes());
    exif.extend_from_slice(&1u16.to_be_bytes());
    exif.extend_from_slice(&2u16.to_be_bytes());
    exif.extend_from_slice(&2u32.to_be_bytes());
    exif.extend_from_slice(b"N\0\0\0");
    exif.extend_from_slice(&0u32.to_be_bytes());
    exif.extend_from_slice(b"GPS 51.1657N 7.0834E Solingen");
    exif
}

fn segment(marker: u8, contents: &[u8]) -> Vec<u8> {
    let mut segment = vec![0xFF, marker];
    segment.extend_from_slice(&((contents.len() + 2) as u16).to_be_bytes());
    segment.extend_from_slice(contents);
    segment
}

/// A small JPEG of `width` × `height` with EXIF (orientation, GPS) and XMP.
pub fn photo(width: u16, height: u16, orientation: u16) -> Vec<u8> {
    let mut jpeg = vec![0xFF, 0xD8];
    jpeg.extend(segment(0xE0, b"JFIF\0\x01\x01\0\0\x01\0\x01\0\0"));
    let mut exif = b"Exif\0\0".to_vec();
    exif.extend(exif_with_gps(orientation));
    jpeg.extend(segment(0xE1, &exif));
    jpeg.extend(segment(
        0xE1,
        b"http://ns.adobe.com/xap/1.0/\0<x:xmpmeta><exif:GPSLatitude>51,9.9N</exif:GPSLatitude></x:xmpmeta>",
    ));
    let mut frame = vec![8];
    frame.extend_from_slice(&height.to_be_bytes());
    frame.extend_from_slice(&width.to_be_bytes());
    frame.extend_from_slice(&[1, 1, 0x11, 0]);
    jpeg.extend(segment(0xC0, &frame));
    jpeg.extend(segment(0xDA, &[1, 1, 0, 0, 0x3F, 0]));
    jpeg.extend_from_slice(&[0x12, 0x34, 0xFF, 0xD9]);
    jpeg
}

fn deflated(data: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
    encoder.write_all(data).unwrap();
    encoder.finish().unwrap()
}

/// A PDF whose one object stream holds `content`, deflated.
pub fn pdf_with_object_stream(content: &[u8]) -> Vec<u8> {
    let packed = deflated(content);
    let mut pdf = format!(
        "%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\n\
         2 0 obj << /Type /ObjStm /N 1 /First 4 /Filter /FlateDecode /Length {} >>\nstream\n",
        packed.len()
    )
    .into_bytes();
    pdf.extend_from_slice(&packed);
    pdf.extend_from_slice(b"\nendstream\nendobj\ntrailer << /Root 1 0 R >>\n%%EOF\n");
    pdf
}
