//! The plan of `mtq compare`: a TOML file of named studies, each with the flags of the
//! subcommand it names, read into library [`Study`]s and checked, all of them, before any work.
//!
//! ```toml
//! title = "MLP and CNN on MNIST 1/7"     # optional
//!
//! [[study]]
//! name = "MLP"
//! route = "mnist"                        # mnist, data, onnx or npy
//! seeds = [0, 1, 2]
//!
//! [[study]]
//! name = "CNN"
//! route = "mnist"
//! model = "cnn"                          # any flag of `mtq mnist`, `-` or `_` alike
//! conv_tap = "flatten"
//! seeds = [0, 1, 2]
//! ```
//!
//! A key is the long flag without its dashes: a string, number or `true` gives the flag its
//! value (`true` sets a switch, `false` leaves it off); a list is joined with commas for a
//! comma-separated flag (`seeds`, `classes`) and repeats the flag otherwise (`unseen`). The
//! flags are parsed by the subcommand's own parser, so a plan accepts and refuses exactly what
//! the command line does.

use std::path::Path;

use clap::error::ContextKind;
use clap::{CommandFactory as _, Parser as _};
use mtq_signature::pipeline::Study;

use crate::args::{Cli, Command, DeviceArg, Route};
use crate::failure::Failure;
use crate::to_study;

/// The subcommands a plan's study can name.
const ROUTES: [&str; 4] = ["mnist", "data", "onnx", "npy"];

/// One study of a plan, checked.
pub struct Planned {
    /// Its name in the plan.
    pub name: String,
    /// Its report's subfolder: the name in lower case, every run of other characters than
    /// letters and digits a `-`.
    pub slug: String,
    /// The study.
    pub study: Study,
    /// Where its network runs.
    pub device: DeviceArg,
    /// The command line it stands for (`mtq mnist --model cnn ..`), for its provenance.
    pub argv: Vec<String>,
}

/// A plan, read and checked.
pub struct Plan {
    /// Its title, if it has one.
    pub title: Option<String>,
    /// Its studies, in plan order (at least one).
    pub studies: Vec<Planned>,
}

/// Reads and checks the plan at `path`: every study's flags parsed by its subcommand, turned
/// into a [`Study`] and [`Study::check`]ed, its device available.
///
/// # Errors
/// [`Failure::Run`] if the file cannot be read; [`Failure::Usage`] naming the plan, the study
/// and the key for anything else: bad TOML (with its line and column), a missing or unknown
/// key, a value the flag refuses, two studies with the same name or folder.
pub fn read(path: &Path) -> Result<Plan, Failure> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| Failure::Run(format!("plan {}: {e}", path.display()).into()))?;
    let usage = |msg: String| Failure::Usage(format!("plan {}: {msg}", path.display()));
    let table: toml::Table = text
        .parse()
        .map_err(|e: toml::de::Error| usage(e.to_string().trim_end().replace('\n', "\n  ")))?;
    let mut title = None;
    let mut tables = Vec::new();
    for (key, value) in &table {
        match (key.as_str(), value) {
            ("title", toml::Value::String(t)) => title = Some(t.clone()),
            ("study", toml::Value::Array(items)) => {
                for (i, item) in items.iter().enumerate() {
                    match item {
                        toml::Value::Table(t) => tables.push(t),
                        _ => return Err(usage(format!("study {}: is not a table", i + 1))),
                    }
                }
            }
            ("title", _) => return Err(usage("key `title`: is not a string".into())),
            ("study", _) => {
                return Err(usage(
                    "key `study`: write each study as a `[[study]]` table".into(),
                ));
            }
            (other, _) => {
                return Err(usage(format!(
                    "unknown key `{other}` (a plan has `title` and `[[study]]` tables)"
                )));
            }
        }
    }
    if tables.is_empty() {
        return Err(usage("has no study (add `[[study]]` tables)".into()));
    }
    let mut studies: Vec<Planned> = Vec::with_capacity(tables.len());
    for (i, t) in tables.into_iter().enumerate() {
        let planned = study(t, i).map_err(&usage)?;
        if let Some(p) = studies.iter().find(|p| p.slug == planned.slug) {
            return Err(usage(format!(
                "studies `{}` and `{}` would write their reports in the same folder `{}`: \
                 rename one",
                p.name, planned.name, planned.slug
            )));
        }
        studies.push(planned);
    }
    Ok(Plan { title, studies })
}

/// The `i`-th study (from 0) of a plan, or the message of what is wrong with it.
fn study(t: &toml::Table, i: usize) -> Result<Planned, String> {
    let name = match t.get("name") {
        Some(toml::Value::String(n)) if !n.trim().is_empty() => n.clone(),
        Some(_) => {
            return Err(format!(
                "study {}: key `name` is not a non-empty string",
                i + 1
            ));
        }
        None => return Err(format!("study {}: has no key `name`", i + 1)),
    };
    let at = |msg: String| format!("study `{name}`: {msg}");
    let route = match t.get("route") {
        Some(toml::Value::String(r)) if ROUTES.contains(&r.as_str()) => r.clone(),
        Some(toml::Value::String(r)) => {
            return Err(at(format!(
                "key `route`: `{r}` is not one of {}",
                ROUTES.join(", ")
            )));
        }
        Some(v) => {
            return Err(at(format!(
                "key `route`: is {}, not a string (one of {})",
                v.type_str(),
                ROUTES.join(", ")
            )));
        }
        None => {
            return Err(at(format!(
                "has no key `route` (one of {})",
                ROUTES.join(", ")
            )));
        }
    };
    let cli = Cli::command();
    let sub = cli
        .find_subcommand(&route)
        .ok_or_else(|| at(format!("no subcommand `{route}`")))?;
    let mut argv = vec!["mtq".to_string(), route.clone()];
    // each key as written, with how clap names its option in an error (`--k-max`, `<MODEL.onnx>`)
    let mut written: Vec<(String, String)> = Vec::new();
    for (key, value) in t {
        if key == "name" || key == "route" {
            continue;
        }
        let flag = key.replace('_', "-");
        let refused = match flag.as_str() {
            "out" => Some("each study's report goes to a subfolder of `mtq compare --out`"),
            "quiet" => Some("set `--quiet` on `mtq compare` itself"),
            "list-layers" => Some(
                "a comparison studies the model; list its layers with `mtq onnx MODEL --list-layers`",
            ),
            "help" | "version" => Some("not a study option"),
            _ => None,
        };
        if let Some(why) = refused {
            return Err(at(format!("key `{key}`: {why}")));
        }
        let Some(arg) = sub.get_arguments().find(|a| {
            a.get_long() == Some(flag.as_str())
                || (a.is_positional() && a.get_id().as_str() == key.replace('-', "_"))
        }) else {
            return Err(at(format!("key `{key}` is not an option of `mtq {route}`")));
        };
        let scalar = |v: &toml::Value| -> Result<String, String> {
            match v {
                toml::Value::String(s) => Ok(s.clone()),
                toml::Value::Integer(n) => Ok(n.to_string()),
                toml::Value::Float(x) => Ok(x.to_string()),
                other => Err(at(format!(
                    "key `{key}`: is {}, not a string or a number",
                    other.type_str()
                ))),
            }
        };
        let takes_value = arg.get_action().takes_values();
        written.push((
            if arg.is_positional() {
                let names = arg.get_value_names().unwrap_or_default();
                format!(
                    "<{}>",
                    names.first().map_or(arg.get_id().as_str(), |n| n.as_str())
                )
            } else {
                format!("--{flag}")
            },
            key.clone(),
        ));
        // `--flag=value`: a value that starts with `-` stays a value
        let with = |v: String| -> String {
            if arg.is_positional() {
                v
            } else {
                format!("--{flag}={v}")
            }
        };
        match value {
            toml::Value::Boolean(on) if !takes_value => {
                if *on {
                    argv.push(format!("--{flag}"));
                }
            }
            toml::Value::Boolean(_) => {
                return Err(at(format!("key `{key}`: takes a value, not true or false")));
            }
            _ if !takes_value => {
                return Err(at(format!(
                    "key `{key}`: is a switch: write `{key} = true`"
                )));
            }
            toml::Value::Array(items) => {
                let items = items.iter().map(scalar).collect::<Result<Vec<_>, _>>()?;
                if arg.get_value_delimiter() == Some(',') {
                    argv.push(with(items.join(",")));
                } else {
                    argv.extend(items.into_iter().map(with));
                }
            }
            v => argv.push(with(scalar(v)?)),
        }
    }
    // the key as written of the option clap or the study names (`--k-max <K>`, `--seeds: ..`)
    let key_of = |option: &str| -> Option<&str> {
        written
            .iter()
            .find(|(name, _)| {
                option.strip_prefix(name.as_str()).is_some_and(|rest| {
                    !rest.starts_with(|c: char| c.is_alphanumeric() || c == '-')
                })
            })
            .map(|(_, key)| key.as_str())
    };
    let cli = Cli::try_parse_from(&argv).map_err(|e| {
        let key = match e.get(ContextKind::InvalidArg) {
            Some(clap::error::ContextValue::String(a)) => {
                key_of(a).map_or_else(String::new, |k| format!("key `{k}`: "))
            }
            _ => String::new(),
        };
        let msg = e.render().to_string();
        let first = msg.lines().next().unwrap_or_default();
        at(format!("{key}{}", first.trim_start_matches("error: ")))
    })?;
    let route_args = match &cli.command {
        Command::Mnist { route, .. } => Route::Mnist(route),
        Command::Data { route, .. } => Route::Data(route),
        Command::Onnx { route, .. } => Route::Onnx(route),
        Command::Npy { route, .. } => Route::Npy(route),
        Command::Monitor(_) | Command::Compare(_) => {
            return Err(at(format!("key `route`: `{route}` is not a study")));
        }
    };
    // the study's own checks name the flag first (`--seeds: ..`): name the key before it
    let keyed = |msg: String| match key_of(&msg) {
        Some(k) => at(format!("key `{k}`: {msg}")),
        None => at(msg),
    };
    let (study, device) = to_study::route(route_args).map_err(|f| keyed(message(&f)))?;
    study.check().map_err(|e| keyed(e.to_string()))?;
    to_study::device(device).map_err(|f| keyed(message(&f)))?;
    Ok(Planned {
        slug: slug(&name, i),
        name,
        study,
        device,
        argv,
    })
}

/// A failure's message (its first line).
fn message(f: &Failure) -> String {
    match f {
        Failure::Usage(m) => m.clone(),
        Failure::Run(e) => e.to_string(),
    }
}

/// `name` in lower case, every run of other characters than ASCII letters and digits one `-`,
/// none at the ends; `study-<i+1>` when nothing is left.
fn slug(name: &str, i: usize) -> String {
    let mut s = String::new();
    for c in name.chars() {
        if c.is_ascii_alphanumeric() {
            s.push(c.to_ascii_lowercase());
        } else if !s.ends_with('-') {
            s.push('-');
        }
    }
    let s = s.trim_matches('-');
    if s.is_empty() {
        format!("study-{}", i + 1)
    } else {
        s.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan(text: &str) -> Result<Plan, Failure> {
        let dir = std::env::temp_dir().join(format!("mtq-plan-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join(format!("p{}.toml", text.len()));
        std::fs::write(&path, text).unwrap();
        let r = read(&path);
        std::fs::remove_file(&path).unwrap();
        r
    }

    fn usage(text: &str) -> String {
        match plan(text) {
            Err(Failure::Usage(m)) => m,
            Err(Failure::Run(e)) => panic!("a run failure: {e}"),
            Ok(_) => panic!("accepted: {text}"),
        }
    }

    #[test]
    fn a_plan_takes_every_flag_of_its_subcommand() {
        let p = plan(
            "title = \"t\"\n[[study]]\nname = \"MLP 1/7\"\nroute = \"mnist\"\nseeds = [0, 1]\n\
             [[study]]\nname = \"CNN\"\nroute = \"mnist\"\nmodel = \"cnn\"\nconv_tap = \"flatten\"\n\
             k-max = 4\nclass_conditional = true\n[[study]]\nname = \"UCI\"\nroute = \"data\"\n\
             dataset = \"uci-digits\"\n",
        )
        .unwrap_or_else(|f| panic!("{}", message(&f)));
        assert_eq!(p.title.as_deref(), Some("t"));
        let slugs: Vec<&str> = p.studies.iter().map(|s| s.slug.as_str()).collect();
        assert_eq!(slugs, ["mlp-1-7", "cnn", "uci"]);
        assert_eq!(p.studies[0].study.seeds, vec![0, 1]);
        assert_eq!(p.studies[1].study.k_max, 4);
        assert_eq!(
            p.studies[1].argv,
            [
                "mtq",
                "mnist",
                "--class-conditional",
                "--conv-tap=flatten",
                "--k-max=4",
                "--model=cnn"
            ]
        );
    }

    #[test]
    fn bad_plans_name_the_study_and_the_key() {
        let one = |body: &str| format!("[[study]]\nname = \"CNN\"\nroute = \"mnist\"\n{body}");
        for (text, expected) in [
            (one("modle = \"cnn\""), "study `CNN`: key `modle` is not an option of `mtq mnist`"),
            (one("model = \"rnn\""), "study `CNN`: key `model`: invalid value 'rnn'"),
            (one("out = \"x\""), "study `CNN`: key `out`: each study's report"),
            (one("seeds = [0, 0]"), "study `CNN`: key `seeds`: --seeds"),
            (one("k-max = \"x\""), "study `CNN`: key `k-max`: invalid value 'x'"),
            (one("k_min = -3"), "study `CNN`: key `k_min`: invalid value '-3'"),
            (one("class_conditional = 1"), "key `class_conditional`: is a switch"),
            (one("epochs = true"), "key `epochs`: takes a value"),
            ("[[study]]\nroute = \"mnist\"".into(), "study 1: has no key `name`"),
            ("[[study]]\nname = \"A\"\nroute = \"mlp\"".into(), "study `A`: key `route`"),
            ("title = \"x\"".into(), "has no study"),
            ("[[study]]\nname = \"A\"\nroute = \"mnist\"\n[[study]]\nname = \"a\"\nroute = \"data\"\ndataset = \"uci-digits\"".into(), "same folder `a`"),
            ("[[study]\nname = 1".into(), "line 1"),
            ("studies = 1".into(), "unknown key `studies`"),
        ] {
            let m = usage(&text);
            assert!(m.contains(expected), "{m:?} lacks {expected:?}");
        }
    }

    #[test]
    fn slugs_are_folder_names() {
        assert_eq!(slug("MNIST 1/7, CNN (flat)", 0), "mnist-1-7-cnn-flat");
        assert_eq!(slug("ÄÖ", 2), "study-3");
    }
}
