//! Printing results: a readable table by default, JSON with `-o json`, raw values with `--query`.

use serde_json::Value;

/// Output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Table,
    Json,
}

/// An ARM resource flattened the way `az` shows it: `properties` lifted to the top level, plus
/// `resourceGroup`.
pub fn flatten(resource: &Value) -> Value {
    let mut out = serde_json::Map::new();
    if let Some(obj) = resource.as_object() {
        for (k, v) in obj {
            if k == "properties" || k == "systemData" {
                continue;
            }
            out.insert(k.clone(), v.clone());
        }
        if let Some(props) = obj.get("properties").and_then(Value::as_object) {
            for (k, v) in props {
                out.entry(k.clone()).or_insert_with(|| v.clone());
            }
        }
        if let Some(id) = obj.get("id").and_then(Value::as_str) {
            let segments: Vec<&str> = id.split('/').collect();
            if let Some(i) = segments.iter().position(|s| s.eq_ignore_ascii_case("resourceGroups")) {
                out.insert(
                    "resourceGroup".into(),
                    Value::String(segments.get(i + 1).copied().unwrap_or_default().to_owned()),
                );
            }
        }
    }
    Value::Object(out)
}

/// Reads a dotted path (`clientId`, `identity.principalId`).
pub fn query<'a>(value: &'a Value, path: &str) -> Option<&'a Value> {
    path.split('.').try_fold(value, |v, key| v.get(key))
}

/// Prints one value: `--query` gives the raw value, JSON pretty-prints, table prints key/value rows.
pub fn print_one(value: &Value, format: Format, query_path: Option<&str>) -> anyhow::Result<()> {
    if let Some(path) = query_path {
        let found = query(value, path).ok_or_else(|| anyhow::anyhow!("the result has no field '{path}'"))?;
        match found {
            Value::String(s) => println!("{s}"),
            other => println!("{other}"),
        }
        return Ok(());
    }
    match format {
        Format::Json => println!("{}", serde_json::to_string_pretty(value)?),
        Format::Table => {
            let Some(obj) = value.as_object() else {
                println!("{value}");
                return Ok(());
            };
            let width = obj.keys().map(String::len).max().unwrap_or(0);
            for (k, v) in obj {
                println!("{k:width$}  {}", scalar(v));
            }
        }
    }
    Ok(())
}

/// Prints rows with the given columns.
pub fn print_table(rows: &[Value], columns: &[&str], format: Format) -> anyhow::Result<()> {
    if format == Format::Json {
        println!("{}", serde_json::to_string_pretty(&Value::Array(rows.to_vec()))?);
        return Ok(());
    }
    let cells: Vec<Vec<String>> =
        rows.iter().map(|r| columns.iter().map(|c| query(r, c).map(scalar).unwrap_or_default()).collect()).collect();
    let widths: Vec<usize> = columns
        .iter()
        .enumerate()
        .map(|(i, c)| cells.iter().map(|row| row[i].len()).chain([c.len()]).max().unwrap_or(0))
        .collect();
    let line = |values: Vec<String>| {
        values.iter().zip(&widths).map(|(v, w)| format!("{v:w$}")).collect::<Vec<_>>().join("  ").trim_end().to_owned()
    };
    println!("{}", line(columns.iter().map(|c| (*c).to_owned()).collect()));
    println!("{}", line(widths.iter().map(|w| "-".repeat(*w)).collect()));
    for row in cells {
        println!("{}", line(row));
    }
    Ok(())
}

fn scalar(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}
