#[test]
fn jiangsu_loads() {
    for (name, text) in pingjia_core::builtin::SCHEME_FILES {
        match pingjia_core::parse_scheme(name, text) {
            Ok(s) => println!("ok: {name}: {} criteria, {} fields", s.criteria.len(), s.fields.len()),
            Err(e) => println!("ERR {e}"),
        }
    }
}
