//! Where each video goes in a COMPOSED recording: OpenVidu's layouts as rectangles of the
//! output frame. Tiles keep their video's aspect ratio inside their rectangle (the
//! compositor letterboxes), so only the rectangles are computed here.

/// A rectangle of the output frame, in pixels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rect {
    pub x: i32,
    pub y: i32,
    pub width: i32,
    pub height: i32,
}

/// OpenVidu's `recordingLayout` values the recorder draws.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layout {
    /// A grid of equal tiles sized for the most video area (the default).
    BestFit,
    /// The first video fills the frame, the second is a small picture in a corner.
    PictureInPicture,
    /// The first screen share (else the first video) large on the left, the rest in a
    /// column on the right.
    VerticalPresentation,
    /// The same with the rest in a row below.
    HorizontalPresentation,
}

impl Layout {
    /// `CUSTOM` and unknown names fall back to `BEST_FIT` (custom layouts are web pages,
    /// which a recorder without a browser does not render).
    pub fn from_name(name: Option<&str>) -> Layout {
        match name {
            Some("PICTURE_IN_PICTURE") => Layout::PictureInPicture,
            Some("VERTICAL_PRESENTATION") => Layout::VerticalPresentation,
            Some("HORIZONTAL_PRESENTATION") => Layout::HorizontalPresentation,
            _ => Layout::BestFit,
        }
    }

    /// The rectangle of each of `tiles` (in order; `true` for a screen share) in a
    /// `width`×`height` frame.
    pub fn place(self, tiles: &[bool], width: i32, height: i32) -> Vec<Rect> {
        let all = Rect {
            x: 0,
            y: 0,
            width,
            height,
        };
        match (self, tiles.len()) {
            (_, 0) => Vec::new(),
            (_, 1) => vec![all],
            (Layout::BestFit, n) => grid(n, all),
            (Layout::PictureInPicture, n) => {
                let small = Rect {
                    x: width - width / 4 - width / 40,
                    y: height - height / 4 - height / 40,
                    width: width / 4,
                    height: height / 4,
                };
                let mut rects = vec![all, small];
                // Beyond two, OpenVidu's layout has no place either: the rest share the
                // corner picture's row.
                rects.extend(grid(
                    n - 2,
                    Rect {
                        y: 0,
                        height: height / 4,
                        ..all
                    },
                ));
                rects
            }
            (Layout::VerticalPresentation | Layout::HorizontalPresentation, n) => {
                let main = tiles.iter().position(|&screen| screen).unwrap_or(0);
                let (big, rest) = if self == Layout::VerticalPresentation {
                    let side = width / 5;
                    (
                        Rect {
                            width: width - side,
                            ..all
                        },
                        Rect {
                            x: width - side,
                            width: side,
                            ..all
                        },
                    )
                } else {
                    let strip = height / 5;
                    (
                        Rect {
                            height: height - strip,
                            ..all
                        },
                        Rect {
                            y: height - strip,
                            height: strip,
                            ..all
                        },
                    )
                };
                let mut others =
                    strip(n - 1, rest, self == Layout::VerticalPresentation).into_iter();
                (0..n)
                    .map(|i| {
                        if i == main {
                            big
                        } else {
                            others.next().unwrap_or(rest)
                        }
                    })
                    .collect()
            }
        }
    }
}

/// `n` equal cells in `area`, with the column count that gives each 16:9 video the
/// largest size; a short last row is centred.
fn grid(n: usize, area: Rect) -> Vec<Rect> {
    if n == 0 {
        return Vec::new();
    }
    let fitted = |cols: usize| {
        let rows = n.div_ceil(cols);
        let (w, h) = (
            area.width as f64 / cols as f64,
            area.height as f64 / rows as f64,
        );
        let scale = (w / 16.0).min(h / 9.0);
        scale * scale
    };
    let cols = (1..=n)
        .max_by(|&a, &b| fitted(a).total_cmp(&fitted(b)).then(a.cmp(&b)))
        .unwrap_or(1);
    let rows = n.div_ceil(cols);
    let (w, h) = (area.width / cols as i32, area.height / rows as i32);
    (0..n)
        .map(|i| {
            let (r, c) = (i / cols, i % cols);
            let in_row = if r == rows - 1 { n - r * cols } else { cols };
            let left = area.x + (area.width - w * in_row as i32) / 2;
            Rect {
                x: left + c as i32 * w,
                y: area.y + r as i32 * h,
                width: w,
                height: h,
            }
        })
        .collect()
}

/// `n` equal cells in a column (`vertical`) or a row.
fn strip(n: usize, area: Rect, vertical: bool) -> Vec<Rect> {
    let n32 = n.max(1) as i32;
    (0..n as i32)
        .map(|i| {
            if vertical {
                let h = area.height / n32;
                Rect {
                    y: area.y + i * h,
                    height: h,
                    ..area
                }
            } else {
                let w = area.width / n32;
                Rect {
                    x: area.x + i * w,
                    width: w,
                    ..area
                }
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cameras(n: usize) -> Vec<bool> {
        vec![false; n]
    }

    #[test]
    fn best_fit_is_one_full_frame_then_a_grid() {
        let one = Layout::BestFit.place(&cameras(1), 1280, 720);
        assert_eq!(
            one,
            vec![Rect {
                x: 0,
                y: 0,
                width: 1280,
                height: 720
            }]
        );
        let four = Layout::BestFit.place(&cameras(4), 1280, 720);
        assert_eq!(four.len(), 4);
        assert!(
            four.iter().all(|r| r.width == 640 && r.height == 360),
            "{four:?}"
        );
        // Two 16:9 videos in a 16:9 frame are best side by side.
        let two = Layout::BestFit.place(&cameras(2), 1280, 720);
        assert_eq!((two[0].width, two[1].x), (640, 640));
    }

    #[test]
    fn best_fit_centres_a_short_last_row_and_never_overlaps() {
        let three = Layout::BestFit.place(&cameras(3), 1280, 720);
        assert_eq!(three[2].x, 320, "{three:?}");
        for n in 1..=16 {
            let rects = Layout::BestFit.place(&cameras(n), 1920, 1080);
            for (i, a) in rects.iter().enumerate() {
                assert!(a.x >= 0 && a.y >= 0 && a.x + a.width <= 1920 && a.y + a.height <= 1080);
                for b in &rects[i + 1..] {
                    let apart = a.x + a.width <= b.x
                        || b.x + b.width <= a.x
                        || a.y + a.height <= b.y
                        || b.y + b.height <= a.y;
                    assert!(apart, "{n} tiles: {a:?} overlaps {b:?}");
                }
            }
        }
    }

    #[test]
    fn presentation_puts_the_screen_share_large() {
        let rects = Layout::VerticalPresentation.place(&[false, true, false], 1000, 500);
        assert_eq!(
            rects[1],
            Rect {
                x: 0,
                y: 0,
                width: 800,
                height: 500
            }
        );
        assert_eq!(rects[0].x, 800);
        assert_eq!(rects[2].y, 250);
        let rects = Layout::HorizontalPresentation.place(&[false, false], 1000, 500);
        assert_eq!(rects[0].height, 400);
        assert_eq!(rects[1].y, 400);
    }

    #[test]
    fn unknown_and_custom_layouts_are_best_fit() {
        assert_eq!(Layout::from_name(Some("CUSTOM")), Layout::BestFit);
        assert_eq!(Layout::from_name(None), Layout::BestFit);
        assert_eq!(
            Layout::from_name(Some("PICTURE_IN_PICTURE")),
            Layout::PictureInPicture
        );
    }
}
