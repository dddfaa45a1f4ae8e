//! PDF documents drawn on the server: A4 pages of text in one CJK font (subset into the file,
//! with a `ToUnicode` map so that the text can be searched and copied), rules, boxes and QR
//! codes drawn as vector squares. Pure: the font's bytes come in, the PDF's bytes go out.
//!
//! Coordinates are in points from the page's top-left corner; `y` of a text is its baseline.

use pdf_writer::types::{CidFontType, FontFlags, SystemInfo};
use pdf_writer::{Content, Filter, Finish, Name, Pdf, Rect, Ref, Str, TextStr};
use std::collections::BTreeMap;
use std::io::Write;

/// A4 in points.
pub const PAGE_WIDTH: f32 = 595.28;
pub const PAGE_HEIGHT: f32 = 841.89;

/// The family chosen from a font collection (`.ttc`) when present: Noto Sans CJK's
/// Simplified Chinese face.
pub const PREFERRED_FAMILY: &str = "Noto Sans CJK SC";

/// A font file read once: its bytes and the face used.
pub struct Font {
    data: Vec<u8>,
    index: u32,
    family: String,
    postscript: String,
}

impl std::fmt::Debug for Font {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Font")
            .field("family", &self.family)
            .field("index", &self.index)
            .field("bytes", &self.data.len())
            .finish()
    }
}

fn name_of(face: &ttf_parser::Face<'_>, id: u16) -> Option<String> {
    face.names()
        .into_iter()
        .filter(|name| name.name_id == id)
        .find_map(|name| name.to_string())
}

impl Font {
    /// Reads a font file: in a collection, the face of [`PREFERRED_FAMILY`] (else the first).
    pub fn load(path: &std::path::Path) -> Result<Font, String> {
        let data = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
        Font::from_bytes(data).map_err(|e| format!("{}: {e}", path.display()))
    }

    pub fn from_bytes(data: Vec<u8>) -> Result<Font, String> {
        let faces = ttf_parser::fonts_in_collection(&data).unwrap_or(1);
        let mut chosen = None;
        for index in 0..faces {
            let face =
                ttf_parser::Face::parse(&data, index).map_err(|e| format!("not a font ({e})"))?;
            let family = name_of(&face, ttf_parser::name_id::TYPOGRAPHIC_FAMILY)
                .or_else(|| name_of(&face, ttf_parser::name_id::FAMILY))
                .unwrap_or_default();
            let postscript = name_of(&face, ttf_parser::name_id::POST_SCRIPT_NAME)
                .unwrap_or_else(|| "Font".to_owned());
            let preferred = family == PREFERRED_FAMILY;
            if chosen.is_none() || preferred {
                chosen = Some((index, family, postscript));
            }
            if preferred {
                break;
            }
        }
        let (index, family, postscript) = chosen.ok_or("no face in the font file")?;
        Ok(Font {
            data,
            index,
            family,
            postscript,
        })
    }

    /// The face's family name (`Noto Sans CJK SC`).
    pub fn family(&self) -> &str {
        &self.family
    }

    fn face(&self) -> ttf_parser::Face<'_> {
        // Parsed successfully in `from_bytes`; parsing is cheap (no allocation).
        ttf_parser::Face::parse(&self.data, self.index).expect("parsed when loaded")
    }

    /// The width of `text` at `size` points.
    pub fn width(&self, text: &str, size: f32) -> f32 {
        let face = self.face();
        let units = f32::from(face.units_per_em());
        text.chars()
            .map(|c| {
                face.glyph_index(c)
                    .and_then(|g| face.glyph_hor_advance(g))
                    .map_or(0.0, f32::from)
            })
            .sum::<f32>()
            * size
            / units
    }

    /// `text` broken into lines no wider than `width` (at a space where there is one near,
    /// else between any two characters, as Chinese is set).
    pub fn wrap(&self, text: &str, size: f32, width: f32) -> Vec<String> {
        let mut lines = Vec::new();
        for paragraph in text.split('\n') {
            let mut line = String::new();
            for c in paragraph.chars() {
                line.push(c);
                if self.width(&line, size) > width && line.chars().count() > 1 {
                    line.pop();
                    let mut rest = String::new();
                    // Keep a Latin word whole when it can start the next line.
                    if c.is_ascii_alphanumeric()
                        && let Some(space) = line.rfind(' ')
                        && line.len() - space < 24
                    {
                        rest = line[space + 1..].to_owned();
                        line.truncate(space);
                    }
                    // Closing punctuation never starts a line: the character before it goes
                    // down with it.
                    else if "，。、；：）》」』！？,.;:)".contains(c)
                        && line.chars().count() > 1
                        && let Some(last) = line.pop()
                    {
                        rest.push(last);
                    }
                    lines.push(std::mem::take(&mut line));
                    line = rest;
                    line.push(c);
                }
            }
            lines.push(line);
        }
        lines
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Color(pub f32, pub f32, pub f32);

pub const BLACK: Color = Color(0.0, 0.0, 0.0);
pub const GREY: Color = Color(0.4, 0.4, 0.4);
pub const RED: Color = Color(0.72, 0.11, 0.11);

#[derive(Debug, Clone)]
enum Op {
    Text {
        x: f32,
        y: f32,
        size: f32,
        color: Color,
        text: String,
    },
    Fill {
        x: f32,
        y: f32,
        w: f32,
        h: f32,
        color: Color,
    },
    Stroke {
        x: f32,
        y: f32,
        w: f32,
        h: f32,
        line: f32,
        color: Color,
    },
}

/// One page's drawing, in order.
#[derive(Debug, Clone, Default)]
pub struct Page {
    ops: Vec<Op>,
}

/// Where a text is placed on its `x`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Align {
    Left,
    Center,
    Right,
}

impl Page {
    pub fn text(&mut self, font: &Font, x: f32, y: f32, size: f32, align: Align, text: &str) {
        self.colored_text(font, x, y, size, align, BLACK, text);
    }

    #[expect(
        clippy::too_many_arguments,
        reason = "a text's place, size, colour and words"
    )]
    pub fn colored_text(
        &mut self,
        font: &Font,
        x: f32,
        y: f32,
        size: f32,
        align: Align,
        color: Color,
        text: &str,
    ) {
        let x = match align {
            Align::Left => x,
            Align::Center => x - font.width(text, size) / 2.0,
            Align::Right => x - font.width(text, size),
        };
        self.ops.push(Op::Text {
            x,
            y,
            size,
            color,
            text: text.to_owned(),
        });
    }

    pub fn fill(&mut self, x: f32, y: f32, w: f32, h: f32, color: Color) {
        self.ops.push(Op::Fill { x, y, w, h, color });
    }

    pub fn frame(&mut self, x: f32, y: f32, w: f32, h: f32, line: f32, color: Color) {
        self.ops.push(Op::Stroke {
            x,
            y,
            w,
            h,
            line,
            color,
        });
    }

    /// A horizontal rule.
    pub fn rule(&mut self, x: f32, y: f32, w: f32, color: Color) {
        self.fill(x, y, w, 0.6, color);
    }

    /// The QR code of `text` (error correction M) with its top-left corner at (`x`, `y`),
    /// `side` points wide including the quiet zone of four modules; dark modules as filled
    /// squares (a row's adjacent modules as one rectangle). `None` when the text is too long.
    pub fn qr(&mut self, x: f32, y: f32, side: f32, text: &str) -> Option<()> {
        let code = qrcodegen::QrCode::encode_text(text, qrcodegen::QrCodeEcc::Medium).ok()?;
        let size = code.size();
        let module = side / (size + 8) as f32;
        for row in 0..size {
            let mut column = 0;
            while column < size {
                if !code.get_module(column, row) {
                    column += 1;
                    continue;
                }
                let start = column;
                while column < size && code.get_module(column, row) {
                    column += 1;
                }
                self.fill(
                    x + (start + 4) as f32 * module,
                    y + (row + 4) as f32 * module,
                    (column - start) as f32 * module,
                    module,
                    BLACK,
                );
            }
        }
        Some(())
    }
}

/// A document: its title (in the file's information) and pages.
#[derive(Debug, Clone, Default)]
pub struct Document {
    pub title: String,
    pub pages: Vec<Page>,
}

fn deflate(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
    // Writing to a Vec cannot fail.
    let _ = encoder.write_all(bytes);
    encoder.finish().unwrap_or_default()
}

/// A six-letter subset tag from the glyphs used (PDF 32000-1 §9.6.4), stable for one set.
fn subset_tag(glyphs: &[u16]) -> String {
    let mut hash: u32 = 2_166_136_261;
    for glyph in glyphs {
        for byte in glyph.to_be_bytes() {
            hash = (hash ^ u32::from(byte)).wrapping_mul(16_777_619);
        }
    }
    (0..6)
        .map(|i| char::from(b'A' + ((hash >> (i * 5)) % 26) as u8))
        .collect()
}

/// The PDF of `document`, its text set in `font` (subset to the characters used).
pub fn render(font: &Font, document: &Document) -> Result<Vec<u8>, String> {
    let face = font.face();
    let units = f32::from(face.units_per_em());
    // Every character used, its glyph and the glyph's id in the subset.
    let mut remapper = subsetter::GlyphRemapper::new();
    let mut chars: BTreeMap<char, u16> = BTreeMap::new();
    for page in &document.pages {
        for op in &page.ops {
            if let Op::Text { text, .. } = op {
                for c in text.chars() {
                    chars.entry(c).or_insert_with(|| {
                        let glyph = face.glyph_index(c).map_or(0, |g| g.0);
                        remapper.remap(glyph)
                    });
                }
            }
        }
    }
    let subset = subsetter::subset(&font.data, font.index, &remapper)
        .map_err(|e| format!("font subsetting failed: {e}"))?;
    let cff = face.tables().cff.is_some();

    let mut next = 1;
    let mut new_ref = || {
        let r = Ref::new(next);
        next += 1;
        r
    };
    let catalog = new_ref();
    let tree = new_ref();
    let info = new_ref();
    let type0 = new_ref();
    let cid = new_ref();
    let descriptor = new_ref();
    let unicode = new_ref();
    let file = new_ref();
    let pages: Vec<(Ref, Ref)> = document
        .pages
        .iter()
        .map(|_| (new_ref(), new_ref()))
        .collect();

    let mut pdf = Pdf::new();
    pdf.catalog(catalog).pages(tree);
    pdf.pages(tree)
        .kids(pages.iter().map(|(page, _)| *page))
        .count(pages.len() as i32);
    pdf.document_info(info)
        .title(TextStr(&document.title))
        .producer(TextStr("pingjia"));

    let base = format!(
        "{}+{}",
        subset_tag(&remapper.remapped_gids().collect::<Vec<_>>()),
        font.postscript.replace(' ', "")
    );
    let system = SystemInfo {
        registry: Str(b"Adobe"),
        ordering: Str(b"Identity"),
        supplement: 0,
    };
    pdf.type0_font(type0)
        .base_font(Name(base.as_bytes()))
        .encoding_predefined(Name(b"Identity-H"))
        .descendant_font(cid)
        .to_unicode(unicode);
    {
        let mut font_dict = pdf.cid_font(cid);
        font_dict
            .subtype(if cff {
                CidFontType::Type0
            } else {
                CidFontType::Type2
            })
            .base_font(Name(base.as_bytes()))
            .system_info(system)
            .font_descriptor(descriptor)
            .default_width(0.0);
        if !cff {
            font_dict.cid_to_gid_map_predefined(Name(b"Identity"));
        }
        let widths: Vec<f32> = remapper
            .remapped_gids()
            .map(|glyph| {
                face.glyph_hor_advance(ttf_parser::GlyphId(glyph))
                    .map_or(0.0, |a| f32::from(a) * 1000.0 / units)
            })
            .collect();
        font_dict.widths().consecutive(0, widths);
    }
    let scale = |v: i16| f32::from(v) * 1000.0 / units;
    let bbox = face.global_bounding_box();
    {
        let mut d = pdf.font_descriptor(descriptor);
        d.name(Name(base.as_bytes()))
            .flags(FontFlags::SYMBOLIC)
            .bbox(Rect::new(
                scale(bbox.x_min),
                scale(bbox.y_min),
                scale(bbox.x_max),
                scale(bbox.y_max),
            ))
            .italic_angle(0.0)
            .ascent(scale(face.ascender()))
            .descent(scale(face.descender()))
            .cap_height(scale(face.capital_height().unwrap_or(face.ascender())))
            .stem_v(80.0);
        if cff {
            d.font_file3(file);
        } else {
            d.font_file2(file);
        }
    }
    let mut cmap = pdf_writer::types::UnicodeCmap::new(Name(b"Custom"), system);
    for (&c, &glyph) in &chars {
        cmap.pair(glyph, c);
    }
    pdf.cmap(unicode, &cmap.finish());
    let compressed = deflate(&subset);
    let mut stream = pdf.stream(file, &compressed);
    stream.filter(Filter::FlateDecode);
    if cff {
        stream.pair(Name(b"Subtype"), Name(b"OpenType"));
    }
    stream.finish();

    for ((page_ref, content_ref), page) in pages.iter().zip(&document.pages) {
        let mut p = pdf.page(*page_ref);
        p.media_box(Rect::new(0.0, 0.0, PAGE_WIDTH, PAGE_HEIGHT))
            .parent(tree)
            .contents(*content_ref);
        p.resources().fonts().pair(Name(b"F1"), type0);
        p.finish();

        let mut content = Content::new();
        for op in &page.ops {
            match op {
                Op::Text {
                    x,
                    y,
                    size,
                    color,
                    text,
                } => {
                    let mut codes = Vec::with_capacity(text.len() * 2);
                    for c in text.chars() {
                        codes.extend(chars[&c].to_be_bytes());
                    }
                    content
                        .set_fill_rgb(color.0, color.1, color.2)
                        .begin_text()
                        .set_font(Name(b"F1"), *size)
                        .set_text_matrix([1.0, 0.0, 0.0, 1.0, *x, PAGE_HEIGHT - *y])
                        .show(Str(&codes))
                        .end_text();
                }
                Op::Fill { x, y, w, h, color } => {
                    content
                        .set_fill_rgb(color.0, color.1, color.2)
                        .rect(*x, PAGE_HEIGHT - *y - *h, *w, *h)
                        .fill_nonzero();
                }
                Op::Stroke {
                    x,
                    y,
                    w,
                    h,
                    line,
                    color,
                } => {
                    content
                        .set_stroke_rgb(color.0, color.1, color.2)
                        .set_line_width(*line)
                        .rect(*x, PAGE_HEIGHT - *y - *h, *w, *h)
                        .stroke();
                }
            }
        }
        let bytes = deflate(&content.finish());
        pdf.stream(*content_ref, &bytes).filter(Filter::FlateDecode);
    }
    Ok(pdf.finish())
}

/// A flow of text down A4 pages with margins: headings, paragraphs, label–value lines and
/// rules, a new page when one is full, and each page's number at its foot.
#[derive(Debug)]
pub struct Flow<'f> {
    font: &'f Font,
    document: Document,
    y: f32,
    footer: String,
}

pub const MARGIN: f32 = 56.0;
const BOTTOM: f32 = PAGE_HEIGHT - 64.0;

impl<'f> Flow<'f> {
    /// A flow whose pages carry `footer` (with the page's number) at their foot.
    pub fn new(font: &'f Font, title: &str, footer: &str) -> Flow<'f> {
        Flow {
            font,
            document: Document {
                title: title.to_owned(),
                pages: vec![Page::default()],
            },
            y: MARGIN,
            footer: footer.to_owned(),
        }
    }

    fn page(&mut self) -> &mut Page {
        self.document.pages.last_mut().expect("a flow has a page")
    }

    fn room(&mut self, height: f32) {
        if self.y + height > BOTTOM {
            self.document.pages.push(Page::default());
            self.y = MARGIN;
        }
    }

    pub fn space(&mut self, height: f32) {
        self.y += height;
    }

    /// A line of text of `size`, wrapped within the margins (indented by `indent`).
    pub fn text(&mut self, size: f32, indent: f32, color: Color, text: &str) {
        let width = PAGE_WIDTH - 2.0 * MARGIN - indent;
        for line in self.font.wrap(text, size, width) {
            let height = size * 1.5;
            self.room(height);
            self.y += size * 1.15;
            let (font, y) = (self.font, self.y);
            self.page()
                .colored_text(font, MARGIN + indent, y, size, Align::Left, color, &line);
            self.y += height - size * 1.15;
        }
    }

    /// The document's title, centred.
    pub fn title(&mut self, text: &str) {
        let size = 18.0;
        self.room(size * 2.0);
        self.y += size * 1.2;
        let (font, y) = (self.font, self.y);
        self.page()
            .text(font, PAGE_WIDTH / 2.0, y, size, Align::Center, text);
        self.y += size;
    }

    pub fn heading(&mut self, text: &str) {
        self.room(40.0);
        self.space(8.0);
        self.text(13.0, 0.0, BLACK, text);
        let y = self.y;
        self.page().rule(MARGIN, y, PAGE_WIDTH - 2.0 * MARGIN, GREY);
        self.space(4.0);
    }

    /// `label：value` with the value wrapped beside the label.
    pub fn field(&mut self, label: &str, value: &str) {
        let size = 10.5;
        let label_width = 110.0;
        let width = PAGE_WIDTH - 2.0 * MARGIN - label_width;
        let lines = self.font.wrap(value, size, width);
        for (index, line) in lines.iter().enumerate() {
            self.room(size * 1.6);
            self.y += size * 1.2;
            let (font, y) = (self.font, self.y);
            if index == 0 {
                self.page()
                    .colored_text(font, MARGIN, y, size, Align::Left, GREY, label);
            }
            self.page()
                .text(font, MARGIN + label_width, y, size, Align::Left, line);
            self.y += size * 0.4;
        }
    }

    pub fn rule(&mut self) {
        self.space(4.0);
        let y = self.y;
        self.page().rule(MARGIN, y, PAGE_WIDTH - 2.0 * MARGIN, GREY);
        self.space(6.0);
    }

    /// The document, each page's foot numbered 「第 n 页 / 共 m 页」.
    pub fn finish(mut self) -> Document {
        let total = self.document.pages.len();
        let font = self.font;
        for (index, page) in self.document.pages.iter_mut().enumerate() {
            let foot = format!("{}　第 {} 页 / 共 {total} 页", self.footer, index + 1);
            page.colored_text(
                font,
                PAGE_WIDTH / 2.0,
                PAGE_HEIGHT - 36.0,
                8.0,
                Align::Center,
                GREY,
                &foot,
            );
        }
        self.document
    }
}

type Loaded = Result<std::sync::Arc<Font>, String>;

/// The font of `path`, read once per process: later calls share it, and a font that could not
/// be read is not tried again (install it, then restart).
pub fn font(path: &std::path::Path) -> Loaded {
    static FONTS: std::sync::Mutex<Vec<(std::path::PathBuf, Loaded)>> =
        std::sync::Mutex::new(Vec::new());
    let mut fonts = FONTS
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    if let Some((_, loaded)) = fonts.iter().find(|(p, _)| p == path) {
        return loaded.clone();
    }
    let loaded = Font::load(path).map(std::sync::Arc::new);
    if let Err(error) = &loaded {
        tracing::warn!("PDF font unavailable, PDFs answer 503: {error}");
    }
    fonts.push((path.to_owned(), loaded.clone()));
    loaded
}

/// The font as a service needs it: a missing font is `503 pdf_font_missing`.
pub fn font_for(state: &crate::context::AppState) -> crate::error::AppResult<std::sync::Arc<Font>> {
    font(&state.config.pdf_font_file).map_err(|_| {
        crate::error::AppError::new(
            503,
            "pdf_font_missing",
            "服务器未安装 PDF 所需的中文字体，暂时无法生成 PDF，请使用可打印的网页版本（浏览器“打印 → 另存为 PDF”） / the server has no font for PDFs: use the printable page instead",
        )
    })
}
