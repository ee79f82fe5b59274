//! Checking one step of a large form: 100 fields on 10 steps with 100 rules (show, require,
//! bounds, a computed fee), the size at which peers' assistants became slow. Measures
//! loading (parse + check + compile) and taking one step (read, rules, checks) with all
//! fields answered, some wrongly. Rendering the page is measured with the web assistant.
//!
//! Also measures loading all built-in definitions of the demo town, as at start.
//!
//! Usage: form-step [rounds] [--write FILE]   (`--write`: the large form as JSON, for
//! the HTTP benchmark of a rendered step)

use std::time::Instant;

use chrono::NaiveDate;
use rathaus_forms::definition::load;
use rathaus_forms::fill::Answers;

/// A form of `steps` × 10 fields; every field but the first of a step has a rule.
fn large_form(steps: usize) -> String {
    let mut step_json = Vec::new();
    for s in 0..steps {
        let mut items = Vec::new();
        for f in 0..10 {
            let id = format!("f{s}_{f}");
            let field = match f % 5 {
                0 => format!(
                    r#"{{ "id": "{id}", "kind": "number", "label": "Zahl {id}", "required": true, "min": "0", "max": "1000" }}"#
                ),
                1 => format!(
                    r#"{{ "id": "{id}", "kind": "text", "label": "Text {id}", "show_if": "f{s}_0 > 10", "required": "f{s}_0 > 500", "max_length": 100 }}"#
                ),
                2 => format!(
                    r#"{{ "id": "{id}", "kind": "date", "label": "Datum {id}", "max": "today()", "required": "not empty(f{s}_1)" }}"#
                ),
                3 => format!(
                    r#"{{ "id": "{id}", "kind": "select", "label": "Auswahl {id}", "show_if": "f{s}_0 + 1 > 2 and f{s}_0 < 900", "options": [{{ "value": "a", "label": "A" }}, {{ "value": "b", "label": "B" }}] }}"#
                ),
                _ => format!(
                    r#"{{ "id": "{id}", "kind": "iban", "label": "IBAN {id}", "required": "f{s}_3 == \"b\"" }}"#
                ),
            };
            items.push(format!(r#"{{ "field": {field} }}"#));
        }
        step_json.push(format!(
            r#"{{ "id": "s{s}", "title": "Schritt {s}", "show_if": "true or f0_0 > {s}", "items": [{}] }}"#,
            items.join(",")
        ));
    }
    format!(
        r#"{{ "id": "gross", "version": 1, "title": "Großes Formular", "steps": [{}],
             "computed": [{{ "id": "gebuehr", "type": "money", "value": "euro(5) * f0_0 + euro(1)" }}] }}"#,
        step_json.join(",")
    )
}

fn percentile(times: &mut [f64], p: f64) -> f64 {
    times.sort_by(f64::total_cmp);
    times[((times.len() as f64 - 1.0) * p).round() as usize]
}

fn main() {
    let rounds: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(2000);
    let json = large_form(10);
    let args: Vec<String> = std::env::args().collect();
    if let Some(at) = args.iter().position(|a| a == "--write") {
        let path = args.get(at + 1).expect("--write FILE");
        std::fs::write(path, &json).expect("write the form");
    }
    let mut registry_times = Vec::new();
    for _ in 0..20 {
        let start = Instant::now();
        rathaus_forms::builtin::Registry::built_in().expect("the built-in forms load");
        registry_times.push(start.elapsed().as_secs_f64() * 1000.0);
    }
    let mut load_times = Vec::new();
    for _ in 0..50 {
        let start = Instant::now();
        load(&json).expect("the generated form is valid");
        load_times.push(start.elapsed().as_secs_f64() * 1000.0);
    }
    let form = load(&json).expect("valid");
    let today = NaiveDate::from_ymd_opt(2026, 11, 23).expect("a date");
    let posted: Vec<(String, String)> = (0..10)
        .flat_map(|f| {
            let id = format!("f5_{f}");
            let value = match f % 5 {
                0 => "600",
                1 => "ein Text",
                2 => "24.11.2030",
                3 => "b",
                _ => "DE89 3704 0044 0532 0130 01",
            };
            [(id, value.to_owned())]
        })
        .collect();
    let mut step_times = Vec::new();
    let mut problems = 0;
    for _ in 0..rounds {
        let mut answers = Answers::default();
        let start = Instant::now();
        problems = form
            .take_step("s5", &posted, &mut answers, today)
            .expect("step s5")
            .len();
        let _ = form.computed(&answers, today);
        step_times.push(start.elapsed().as_secs_f64() * 1000.0);
    }
    println!(
        "all {} built-in definitions: median {:.2} ms",
        rathaus_forms::builtin::DEFINITIONS.len(),
        percentile(&mut registry_times, 0.5)
    );
    println!(
        "load (100 fields, 10 steps, 100 rules): median {:.3} ms, max {:.3} ms",
        percentile(&mut load_times, 0.5),
        percentile(&mut load_times, 1.0)
    );
    println!(
        "take one step ({problems} problems found): p50 {:.4} ms, p99 {:.4} ms over {rounds} rounds",
        percentile(&mut step_times, 0.5),
        percentile(&mut step_times, 0.99)
    );
}
