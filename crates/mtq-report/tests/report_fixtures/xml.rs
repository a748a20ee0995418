//! A tiny XML well-formedness checker for the tests: balanced, properly nested tags, quoted
//! attributes without duplicates, known entities, no stray `<` or `&`.

#![allow(dead_code)]

/// Checks that `doc` is well-formed XML (a leading `<!DOCTYPE …>` is skipped); returns the
/// element names in document order.
pub fn check(doc: &str) -> Result<Vec<String>, String> {
    let mut rest = doc.trim_start();
    if rest.starts_with("<!DOCTYPE") {
        let end = rest.find('>').ok_or("unterminated doctype")?;
        rest = &rest[end + 1..];
    }
    let mut stack: Vec<String> = Vec::new();
    let mut names = Vec::new();
    let mut roots = 0;
    while !rest.is_empty() {
        let lt = rest.find('<').unwrap_or(rest.len());
        check_text(&rest[..lt])?;
        if !rest[..lt].trim().is_empty() && stack.is_empty() {
            return Err(format!("text outside the root element: {:?}", &rest[..lt]));
        }
        rest = &rest[lt..];
        if rest.is_empty() {
            break;
        }
        let gt = rest.find('>').ok_or("unterminated tag")?;
        let tag = &rest[1..gt];
        rest = &rest[gt + 1..];
        if let Some(name) = tag.strip_prefix('/') {
            let open = stack
                .pop()
                .ok_or_else(|| format!("closing </{name}> without opening"))?;
            if open != name.trim() {
                return Err(format!("<{open}> closed by </{name}>"));
            }
            continue;
        }
        let self_closing = tag.ends_with('/');
        let body = tag.trim_end_matches('/');
        let name_end = body.find(|c: char| c.is_whitespace()).unwrap_or(body.len());
        let name = &body[..name_end];
        if name.is_empty()
            || !name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == ':')
        {
            return Err(format!("bad element name {name:?}"));
        }
        check_attributes(&body[name_end..])?;
        if stack.is_empty() {
            roots += 1;
        }
        names.push(name.to_owned());
        if !self_closing {
            stack.push(name.to_owned());
        }
    }
    if let Some(open) = stack.pop() {
        return Err(format!("<{open}> never closed"));
    }
    if roots != 1 {
        return Err(format!("{roots} root elements"));
    }
    Ok(names)
}

fn check_text(text: &str) -> Result<(), String> {
    let mut rest = text;
    while let Some(amp) = rest.find('&') {
        let semi = rest[amp..].find(';').ok_or("& without ;")?;
        let entity = &rest[amp + 1..amp + semi];
        let ok = matches!(entity, "amp" | "lt" | "gt" | "quot" | "apos")
            || entity
                .strip_prefix('#')
                .is_some_and(|n| n.parse::<u32>().is_ok());
        if !ok {
            return Err(format!("unknown entity &{entity};"));
        }
        rest = &rest[amp + semi..];
    }
    if text.contains('>') && !text.contains("&gt;") {
        // '>' is allowed in text by XML; nothing to do.
    }
    Ok(())
}

fn check_attributes(attrs: &str) -> Result<(), String> {
    let mut rest = attrs.trim();
    let mut seen: Vec<&str> = Vec::new();
    while !rest.is_empty() {
        let eq = rest
            .find('=')
            .ok_or_else(|| format!("attribute without value: {rest:?}"))?;
        let name = rest[..eq].trim();
        if name.is_empty() || name.contains(char::is_whitespace) {
            return Err(format!("bad attribute name {name:?}"));
        }
        if seen.contains(&name) {
            return Err(format!("duplicate attribute {name}"));
        }
        seen.push(name);
        let after = &rest[eq + 1..];
        let quote = after.chars().next().ok_or("missing attribute value")?;
        if quote != '"' && quote != '\'' {
            return Err(format!("unquoted attribute {name}"));
        }
        let end = after[1..]
            .find(quote)
            .ok_or("unterminated attribute value")?;
        let value = &after[1..=end];
        if value.contains('<') {
            return Err(format!("'<' in attribute {name}"));
        }
        check_text(value)?;
        rest = after[end + 2..].trim_start();
    }
    Ok(())
}

#[test]
fn the_checker_rejects_broken_documents() {
    assert!(check("<a><b/></a>").is_ok());
    assert!(check("<a><b></a>").is_err());
    assert!(check("<a x=1></a>").is_err());
    assert!(check("<a x=\"1\" x=\"2\"></a>").is_err());
    assert!(check("<a>&nbsp;</a>").is_err());
    assert!(check("<a>1 & 2</a>").is_err());
    assert!(check("<a></a><b></b>").is_err());
}
