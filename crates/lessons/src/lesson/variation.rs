//! Changing one field of a scenario's TOML: how an interview follow-up
//! ("and if the pause is 5 s?") becomes a run of its own.
//!
//! A path is dotted keys with array indexes: `fault[0].duration_ms`,
//! `client[1].params.ttl_ms`, `node[0].persistence`.

/// Sets `path` in `table` to `value`. Every step but the last must exist,
/// so a typo is an error rather than a new, ignored field.
pub fn apply(table: &mut toml::Table, path: &str, value: toml::Value) -> Result<(), String> {
    let mut steps: Vec<(String, Option<usize>)> = Vec::new();
    for part in path.split('.') {
        let (key, index) = match part.split_once('[') {
            Some((key, rest)) => {
                let index = rest
                    .strip_suffix(']')
                    .and_then(|i| i.parse::<usize>().ok())
                    .ok_or_else(|| format!("change `{path}`: cannot read `{part}`"))?;
                (key, Some(index))
            }
            None => (part, None),
        };
        if key.is_empty() {
            return Err(format!("change `{path}`: an empty key"));
        }
        steps.push((key.to_string(), index));
    }
    let Some(((last_key, last_index), parents)) = steps.split_last() else {
        return Err("an empty change path".into());
    };
    let mut here = table;
    for (key, index) in parents {
        let value = here
            .get_mut(key)
            .ok_or_else(|| format!("change `{path}`: the scenario has no `{key}`"))?;
        let value = match index {
            Some(i) => value
                .as_array_mut()
                .and_then(|a| a.get_mut(*i))
                .ok_or_else(|| format!("change `{path}`: `{key}` has no item {i}"))?,
            None => value,
        };
        here = value
            .as_table_mut()
            .ok_or_else(|| format!("change `{path}`: `{key}` is not a table"))?;
    }
    match last_index {
        None => {
            here.insert(last_key.clone(), value);
        }
        Some(i) => {
            let slot = here
                .get_mut(last_key)
                .and_then(|v| v.as_array_mut())
                .and_then(|a| a.get_mut(*i))
                .ok_or_else(|| format!("change `{path}`: `{last_key}` has no item {i}"))?;
            *slot = value;
        }
    }
    Ok(())
}

/// Gives client `name` the program `source` (replacing a `library`);
/// unless `replace`, only when the client has neither of its own.
pub fn set_program(table: &mut toml::Table, name: &str, source: &str, replace: bool) {
    let Some(clients) = table.get_mut("client").and_then(|c| c.as_array_mut()) else {
        return;
    };
    for client in clients.iter_mut().filter_map(|c| c.as_table_mut()) {
        let has_own = client.contains_key("program") || client.contains_key("library");
        if client.get("name").and_then(|n| n.as_str()) == Some(name) && (replace || !has_own) {
            client.remove("library");
            client.insert("program".into(), toml::Value::String(source.to_string()));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn changes_a_nested_field_and_refuses_typos() {
        let mut t: toml::Table = "[[fault]]\nkind = \"pause\"\nduration_ms = 15000\n"
            .parse()
            .unwrap();
        apply(&mut t, "fault[0].duration_ms", toml::Value::Integer(5000)).unwrap();
        assert_eq!(t["fault"][0]["duration_ms"].as_integer(), Some(5000));
        assert!(apply(&mut t, "fault[1].duration_ms", 1.into())
            .unwrap_err()
            .contains("no item 1"));
        assert!(apply(&mut t, "faults[0].x", 1.into())
            .unwrap_err()
            .contains("no `faults`"));
        assert!(apply(&mut t, "fault[x].y", 1.into()).is_err());
    }
}
