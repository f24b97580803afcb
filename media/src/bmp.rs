//! BMP, including OS/2 2.x bitmaps: their header (16 to 64 bytes) begins with the same fields
//! as Windows' 40-byte one, so it is rewritten to that form for the `image` crate's decoder.

use image::{ImageFormat, RgbImage};

use crate::decode::{DecodeError, decode_with_image};

/// Header sizes the `image` crate reads itself: OS/2 1.x (12) and Windows' (40 and later).
const KNOWN_HEADERS: [u32; 6] = [12, 40, 52, 56, 108, 124];
const FILE_HEADER: usize = 14;
const WINDOWS_HEADER: usize = 40;

pub(crate) fn decode(bytes: &[u8], max_pixels: u64) -> Result<RgbImage, DecodeError> {
    let header_size = bytes.get(14..18).map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]));
    match header_size {
        Some(size) if (16..=64).contains(&size) && !KNOWN_HEADERS.contains(&size) => {
            decode_with_image(&as_windows_bitmap(bytes, size as usize)?, ImageFormat::Bmp, max_pixels)
        }
        _ => decode_with_image(bytes, ImageFormat::Bmp, max_pixels),
    }
}

fn as_windows_bitmap(bytes: &[u8], header_size: usize) -> Result<Vec<u8>, DecodeError> {
    let header = bytes.get(FILE_HEADER..FILE_HEADER + header_size).ok_or(DecodeError::Truncated)?;
    let mut info = [0u8; WINDOWS_HEADER];
    let shared = header_size.min(WINDOWS_HEADER);
    info[..shared].copy_from_slice(&header[..shared]);
    info[..4].copy_from_slice(&(WINDOWS_HEADER as u32).to_le_bytes());
    // OS/2 compression 3 and 4 are Huffman 1D and RLE24, which mean other things in Windows'.
    let compression = u32::from_le_bytes([info[16], info[17], info[18], info[19]]);
    if compression > 2 {
        return Err(DecodeError::Unsupported(format!("OS/2 bitmap compression {compression}")));
    }
    let pixel_offset = u32::from_le_bytes([bytes[10], bytes[11], bytes[12], bytes[13]]) as i64;
    let shift = WINDOWS_HEADER as i64 - header_size as i64;
    let new_offset = u32::try_from(pixel_offset + shift)
        .map_err(|_| DecodeError::Damaged("the pixel data offset lies outside the file".into()))?;
    let mut out = Vec::with_capacity(bytes.len() + WINDOWS_HEADER);
    out.extend_from_slice(&bytes[..FILE_HEADER]);
    out[10..14].copy_from_slice(&new_offset.to_le_bytes());
    out.extend_from_slice(&info);
    out.extend_from_slice(&bytes[FILE_HEADER + header_size..]);
    let size = u32::try_from(out.len()).unwrap_or(u32::MAX);
    out[2..6].copy_from_slice(&size.to_le_bytes());
    Ok(out)
}
