//! Images sent to the town hall: no pixel floods (a small file that would unpack to a
//! huge picture when someone opens it), and no location. Photos carry where they were
//! taken (GPS in EXIF, also in XMP); that is nobody's business at the town hall, so the
//! metadata is removed from JPEG, PNG and WebP before the file is stored. Only the
//! orientation survives (in a new, minimal EXIF block), so that a photo taken upright
//! still shows upright.

use bytes::Bytes;
use img_parts::ImageEXIF;
use img_parts::jpeg::Jpeg;
use img_parts::png::Png;
use img_parts::webp::WebP;

/// The largest picture taken: 100 megapixels, more than a 600 dpi scan of an A3 page.
pub const MAX_PIXELS: u64 = 100_000_000;

/// Whether the image says it has more pixels than [`MAX_PIXELS`]. A header that cannot
/// be read is no reason to refuse: the file was recognised by its content already.
pub fn too_many_pixels(bytes: &[u8]) -> bool {
    imagesize::blob_size(bytes)
        .is_ok_and(|size| size.width as u64 * size.height as u64 > MAX_PIXELS)
}

/// APP1 segments hold EXIF and XMP in JPEG files.
const JPEG_APP1: u8 = 0xE1;
/// Where XMP sits in PNG (an international text chunk with this keyword) and WebP.
const PNG_XMP_KEYWORD: &[u8] = b"XML:com.adobe.xmp\0";
const WEBP_XMP: [u8; 4] = *b"XMP ";

/// The image without its metadata (but with its orientation); other files, and images
/// that cannot be taken apart, unchanged.
pub fn without_metadata(media_type: &str, bytes: Bytes) -> Bytes {
    match media_type {
        "image/jpeg" => match Jpeg::from_bytes(bytes.clone()) {
            Ok(mut jpeg) => {
                let orientation = jpeg.exif().as_deref().and_then(orientation);
                jpeg.remove_segments_by_marker(JPEG_APP1);
                jpeg.set_exif(orientation.map(orientation_only));
                jpeg.encoder().bytes()
            }
            Err(_) => bytes,
        },
        "image/png" => match Png::from_bytes(bytes.clone()) {
            Ok(mut png) => {
                png.set_exif(None);
                png.chunks_mut().retain(|chunk| {
                    !(chunk.kind() == *b"iTXt" && chunk.contents().starts_with(PNG_XMP_KEYWORD))
                });
                png.encoder().bytes()
            }
            Err(_) => bytes,
        },
        "image/webp" => match WebP::from_bytes(bytes.clone()) {
            Ok(mut webp) => {
                let orientation = webp.exif().as_deref().and_then(orientation);
                webp.remove_chunks_by_id(WEBP_XMP);
                webp.set_exif(orientation.map(orientation_only));
                webp.encoder().bytes()
            }
            Err(_) => bytes,
        },
        _ => bytes,
    }
}

/// The orientation tag (0x0112) of the first image directory of EXIF data, if it is
/// other than "upright" (1).
fn orientation(exif: &[u8]) -> Option<u16> {
    let big_endian = match exif.get(..4)? {
        b"MM\0*" => true,
        b"II*\0" => false,
        _ => return None,
    };
    let u16_at = |at: usize| -> Option<u16> {
        let b: [u8; 2] = exif.get(at..at + 2)?.try_into().ok()?;
        Some(if big_endian {
            u16::from_be_bytes(b)
        } else {
            u16::from_le_bytes(b)
        })
    };
    let u32_at = |at: usize| -> Option<u32> {
        let b: [u8; 4] = exif.get(at..at + 4)?.try_into().ok()?;
        Some(if big_endian {
            u32::from_be_bytes(b)
        } else {
            u32::from_le_bytes(b)
        })
    };
    let directory = u32_at(4)? as usize;
    let entries = u16_at(directory)? as usize;
    (0..entries)
        .map(|i| directory + 2 + i * 12)
        .find(|&entry| u16_at(entry) == Some(0x0112))
        .and_then(|entry| u16_at(entry + 8))
        .filter(|o| (2..=8).contains(o))
}

/// EXIF data with nothing but the orientation: a little-endian TIFF header and one
/// image directory with one entry.
fn orientation_only(orientation: u16) -> Bytes {
    let mut exif = Vec::with_capacity(26);
    exif.extend_from_slice(b"II*\0");
    exif.extend_from_slice(&8u32.to_le_bytes()); // the directory follows the header
    exif.extend_from_slice(&1u16.to_le_bytes()); // one entry
    exif.extend_from_slice(&0x0112u16.to_le_bytes()); // Orientation
    exif.extend_from_slice(&3u16.to_le_bytes()); // SHORT
    exif.extend_from_slice(&1u32.to_le_bytes()); // one value
    exif.extend_from_slice(&orientation.to_le_bytes());
    exif.extend_from_slice(&[0, 0]); // the value field is four bytes
    exif.extend_from_slice(&0u32.to_le_bytes()); // no next directory
    Bytes::from(exif)
}

#[cfg(test)]
mod tests {
    use super::super::samples::photo;
    use super::*;

    fn contains(haystack: &[u8], needle: &[u8]) -> bool {
        haystack.windows(needle.len()).any(|w| w == needle)
    }

    #[test]
    fn photos_lose_their_location_and_keep_their_orientation() {
        let original = photo(640, 480, 6);
        assert!(contains(&original, b"Solingen") && contains(&original, b"GPSLatitude"));
        let cleaned = without_metadata("image/jpeg", Bytes::from(original));
        assert!(!contains(&cleaned, b"Solingen"), "GPS is gone");
        assert!(!contains(&cleaned, b"GPSLatitude"), "XMP is gone");
        let jpeg = Jpeg::from_bytes(cleaned.clone()).unwrap();
        assert_eq!(jpeg.exif().as_deref().and_then(orientation), Some(6));
        assert_eq!(
            jpeg.dimensions(),
            Some((640, 480)),
            "the picture itself stays"
        );
        assert!(cleaned.ends_with(&[0x12, 0x34, 0xFF, 0xD9]));

        let upright = without_metadata("image/jpeg", Bytes::from(photo(10, 10, 1)));
        assert!(Jpeg::from_bytes(upright).unwrap().exif().is_none());
    }

    #[test]
    fn other_files_and_broken_images_stay_as_they_are() {
        let pdf = Bytes::from_static(b"%PDF-1.7\n");
        assert_eq!(without_metadata("application/pdf", pdf.clone()), pdf);
        let broken = Bytes::from_static(&[0xFF, 0xD8, 0xFF, 0x00]);
        assert_eq!(without_metadata("image/jpeg", broken.clone()), broken);
    }

    #[test]
    fn pixel_floods_are_told_by_their_header() {
        assert!(!too_many_pixels(&photo(6000, 4000, 1)));
        assert!(too_many_pixels(&photo(60000, 60000, 1)));
        assert!(
            !too_many_pixels(b"%PDF-1.7"),
            "no image header: not refused here"
        );
    }
}
