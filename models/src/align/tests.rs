use super::*;

fn apply(m: &Affine, p: [f32; 2]) -> [f64; 2] {
    let (x, y) = (f64::from(p[0]), f64::from(p[1]));
    [m[0][0] * x + m[0][1] * y + m[0][2], m[1][0] * x + m[1][1] * y + m[1][2]]
}

/// Sum of all bytes and a position-weighted checksum, as the reference script printed them.
fn checksums(img: &RgbImage) -> (i64, i64) {
    let raw = img.as_raw();
    let sum = raw.iter().map(|&v| i64::from(v)).sum();
    let wsum = raw.iter().enumerate().map(|(i, &v)| i64::from(v) * i as i64).sum::<i64>() % (1 << 32);
    (sum, wsum)
}

#[test]
fn recovers_a_known_similarity_exactly() {
    let (angle, scale, tx, ty) = (0.4f64, 1.7f64, 12.5f64, -3.25f64);
    let truth =
        [[scale * angle.cos(), -scale * angle.sin(), tx], [scale * angle.sin(), scale * angle.cos(), ty]];
    let src = [[10.0, 20.0], [60.0, 22.0], [35.0, 50.0], [15.0, 75.0], [58.0, 73.0]];
    let dst = src.map(|p| {
        let q = apply(&truth, p);
        [q[0] as f32, q[1] as f32]
    });
    let m = similarity_transform(&src, &dst);
    for r in 0..2 {
        for c in 0..3 {
            assert!((m[r][c] - truth[r][c]).abs() < 1e-4, "m = {m:?}, truth = {truth:?}");
        }
    }
}

#[test]
fn never_reflects() {
    // dst is src mirrored left-right: the best similarity cannot mirror, so its
    // determinant stays positive.
    let src = [[10.0, 20.0], [60.0, 22.0], [35.0, 50.0], [15.0, 75.0], [58.0, 73.0]];
    let dst = src.map(|p| [100.0 - p[0], p[1]]);
    let m = similarity_transform(&src, &dst);
    let det = m[0][0] * m[1][1] - m[0][1] * m[1][0];
    assert!(det >= 0.0, "{m:?}");
}

#[test]
fn template_maps_onto_itself() {
    let m = alignment_transform(&TEMPLATE);
    for p in TEMPLATE {
        let q = apply(&m, p);
        assert!((q[0] - f64::from(p[0])).abs() < 1e-3, "{p:?} -> {q:?}");
        assert!((q[1] - f64::from(p[1])).abs() < 1e-3, "{p:?} -> {q:?}");
    }
}

#[test]
fn identity_warp_copies_and_pads_with_black() {
    let img = RgbImage::from_fn(8, 6, |x, y| Rgb([x as u8 * 20, y as u8 * 30, 7]));
    let id = [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]];
    let out = warp_affine(&img, &id, 10, 7);
    for y in 0..7 {
        for x in 0..10 {
            let want = if x < 8 && y < 6 { *img.get_pixel(x, y) } else { Rgb([0, 0, 0]) };
            assert_eq!(*out.get_pixel(x, y), want, "at {x},{y}");
        }
    }
}

#[test]
fn half_pixel_shift_averages_neighbours() {
    let img = RgbImage::from_fn(4, 1, |x, _| Rgb([x as u8 * 60, 0, 0]));
    // Output x samples input x + 0.5.
    let m = [[1.0, 0.0, -0.5], [0.0, 1.0, 0.0]];
    let out = warp_affine(&img, &m, 4, 1);
    let got: Vec<u8> = (0..4).map(|x| out.get_pixel(x, 0)[0]).collect();
    // Halves round down (OpenCV adds 2^14 before shifting by 15 bits, and every weight here
    // is 2^14); the last pixel blends with the black border.
    assert_eq!(got, vec![30, 90, 150, 90]);
}

/// `cv2.warpAffine` (OpenCV 4.10) of the same synthetic image and matrix gave these values.
#[test]
fn warp_matches_opencv_byte_for_byte() {
    let img = RgbImage::from_fn(50, 40, |x, y| {
        Rgb([((x * 7 + y * 13) % 256) as u8, ((x * x + 3 * y) % 256) as u8, ((x * y + 11) % 256) as u8])
    });
    let (a, s) = (0.3f64, 1.37f64);
    let m = [[s * a.cos(), -s * a.sin(), 5.25], [s * a.sin(), s * a.cos(), -7.6]];
    let out = warp_affine(&img, &m, 30, 25);
    assert_eq!(out.get_pixel(0, 0).0, [0, 0, 0]);
    assert_eq!(out.get_pixel(17, 12).0, [232, 188, 149]);
    assert_eq!(out.get_pixel(29, 24).0, [127, 85, 150]);
    assert_eq!(out.get_pixel(20, 5).0, [164, 186, 84]);
    assert_eq!(checksums(&out), (247838, 290281068));
}

/// `cv2.FaceRecognizerSF.alignCrop` (OpenCV 4.10) on a synthetic image and landmarks.
#[test]
fn align_face_matches_opencv_align_crop() {
    let img = RgbImage::from_fn(400, 300, |x, y| {
        Rgb([((x * 3 + y * 5) % 256) as u8, ((x + y * y) % 256) as u8, ((x * y) % 251) as u8])
    });
    let landmarks = [[140.3, 150.2], [190.7, 146.1], [166.2, 180.9], [145.5, 210.4], [186.1, 207.3]];
    let crop = align_face(&img, &landmarks);
    assert_eq!((crop.width(), crop.height()), (112, 112));
    assert_eq!(crop.get_pixel(0, 0).0, [109, 192, 108]);
    assert_eq!(crop.get_pixel(56, 56).0, [250, 162, 159]);
    assert_eq!(crop.get_pixel(30, 100).0, [212, 59, 128]);
    assert_eq!(crop.get_pixel(111, 111).0, [122, 215, 52]);
    assert_eq!(checksums(&crop), (4814124, 329830787));
}

#[test]
fn degenerate_landmarks_do_not_panic() {
    let img = RgbImage::from_pixel(20, 20, Rgb([9, 9, 9]));
    let crop = align_face(&img, &[[5.0, 5.0]; 5]);
    assert_eq!((crop.width(), crop.height()), (112, 112));
}
