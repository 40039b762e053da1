//! A local runner for the action's scan step: reads `action.yml`, fills the scan step's `env:`
//! from the inputs (their defaults, overridden per test), runs its `run:` line with bash in a
//! clean environment that looks like a GitHub runner's (`GITHUB_EVENT_NAME`, `GITHUB_EVENT_PATH`,
//! `GITHUB_WORKSPACE`, `GITHUB_STEP_SUMMARY`, `GITHUB_OUTPUT`, `GITHUB_API_URL` pointing at a
//! fake GitHub API on 127.0.0.1), and collects everything the step left behind. Every run
//! asserts that no secret it was told about appears in any of it.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command as Process;
use std::sync::{Arc, Mutex};

use serde_json::{Value, json};

use crate::common::testdata;
use crate::fake_http::{FakeServer, Reply};

/// The token the fake API accepts.
pub const API_TOKEN: &str = "test-token-for-the-fake-api";

/// The action's metadata file.
pub fn action_yml() -> String {
    std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("action.yml"))
        .expect("action.yml")
}

/// Lines of `run:` scripts in a workflow or action file, with their line numbers.
pub fn run_lines(yml: &str) -> Vec<(usize, String)> {
    let lines: Vec<&str> = yml.lines().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let line = lines[i];
        let indent = indent_of(line);
        let key = line.trim_start().trim_start_matches("- ");
        if let Some(rest) = key.strip_prefix("run:") {
            out.push((i + 1, rest.trim().to_string()));
            if rest.trim().starts_with(['|', '>']) {
                while i + 1 < lines.len()
                    && (lines[i + 1].trim().is_empty() || indent_of(lines[i + 1]) > indent)
                {
                    i += 1;
                    out.push((i + 1, lines[i].to_string()));
                }
            }
        }
        i += 1;
    }
    out
}

fn indent_of(line: &str) -> usize {
    line.len() - line.trim_start().len()
}

/// The inputs action.yml declares, with their defaults.
pub fn input_defaults(yml: &str) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let mut in_inputs = false;
    let mut current: Option<String> = None;
    for line in yml.lines() {
        if indent_of(line) == 0 && !line.trim().is_empty() {
            in_inputs = line.starts_with("inputs:");
            continue;
        }
        if !in_inputs || line.trim().is_empty() {
            continue;
        }
        if indent_of(line) == 2 {
            let name = line.trim().trim_end_matches(':').to_string();
            out.insert(name.clone(), String::new());
            current = Some(name);
        } else if let (Some(name), Some(v)) = (&current, line.trim().strip_prefix("default:")) {
            out.insert(name.clone(), v.trim().trim_matches('"').to_string());
        }
    }
    out
}

/// The scan step's `env:` (name → expression) and its `run:` line.
pub fn scan_step(yml: &str) -> (Vec<(String, String)>, String) {
    let lines: Vec<&str> = yml.lines().collect();
    let start = lines
        .iter()
        .position(|l| l.trim() == "id: scan")
        .expect("a step with id: scan");
    let step_indent = indent_of(lines[start]);
    let mut env = Vec::new();
    let mut run = String::new();
    let mut in_env = false;
    for line in &lines[start..] {
        let (indent, text) = (indent_of(line), line.trim());
        if text.is_empty() {
            continue;
        }
        if indent < step_indent {
            break;
        }
        if indent == step_indent {
            in_env = text == "env:";
            if let Some(r) = text.strip_prefix("run:") {
                run = r.trim().to_string();
            }
        } else if in_env && let Some((k, v)) = text.split_once(':') {
            env.push((k.trim().to_string(), v.trim().to_string()));
        }
    }
    (env, run)
}

/// Evaluates the expressions the scan step's `env:` uses: `${{ inputs.NAME }}`.
fn evaluate(expr: &str, inputs: &BTreeMap<String, String>) -> String {
    let name = expr
        .strip_prefix("${{")
        .and_then(|e| e.strip_suffix("}}"))
        .map(str::trim)
        .and_then(|e| e.strip_prefix("inputs."))
        .unwrap_or_else(|| panic!("the scan step's env uses {expr:?}, not an input"));
    inputs
        .get(name)
        .unwrap_or_else(|| panic!("the scan step uses inputs.{name}, which action.yml lacks"))
        .clone()
}

/// A fake GitHub REST API keeping the comments of pull requests.
pub struct FakeGitHub {
    /// The server.
    pub server: FakeServer,
    comments: Arc<Mutex<Vec<(u64, String)>>>,
}

impl FakeGitHub {
    /// Starts one with no comments but a person's on every pull request.
    pub fn start() -> FakeGitHub {
        let comments = Arc::new(Mutex::new(vec![(
            1,
            "Looks good to me <!-- keytrail --> later in the text".to_string(),
        )]));
        let state = comments.clone();
        let server = FakeServer::start(move |req| answer(req, &state));
        FakeGitHub { server, comments }
    }

    /// `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("http://{}", self.server.addr)
    }

    /// The comments now, as (id, body).
    pub fn comments(&self) -> Vec<(u64, String)> {
        self.comments.lock().unwrap().clone()
    }

    /// Request lines (`POST /repos/...`) received so far.
    pub fn calls(&self) -> Vec<String> {
        self.server
            .requests()
            .iter()
            .filter_map(|r| r.lines().next())
            .map(|l| l.trim_end_matches(" HTTP/1.1").to_string())
            .collect()
    }
}

fn answer(req: &str, comments: &Mutex<Vec<(u64, String)>>) -> Reply {
    let first = req.lines().next().unwrap_or_default();
    let mut parts = first.split(' ');
    let (method, path) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
    let authorised = req
        .lines()
        .any(|l| l.eq_ignore_ascii_case(&format!("authorization: Bearer {API_TOKEN}")));
    if !authorised {
        return Reply::status(401, r#"{"message":"Bad credentials"}"#);
    }
    let body: Value = req
        .split_once("\r\n\r\n")
        .and_then(|(_, b)| serde_json::from_str(b).ok())
        .unwrap_or(Value::Null);
    let mut list = comments.lock().unwrap();
    let path_only = path.split('?').next().unwrap_or("");
    match (method, path_only) {
        ("GET", "/repos/acme/shop/issues/12/comments") => {
            let page = if path.contains("page=1") {
                list.clone()
            } else {
                Vec::new()
            };
            let json: Vec<Value> = page
                .iter()
                .map(|(id, b)| json!({"id": id, "body": b, "user": {"login": "someone"}}))
                .collect();
            Reply::status(200, &Value::Array(json).to_string())
        }
        ("POST", "/repos/acme/shop/issues/12/comments") => {
            let id = 100 + list.len() as u64;
            list.push((id, body["body"].as_str().unwrap_or("").to_string()));
            Reply::status(201, &json!({ "id": id }).to_string())
        }
        ("PATCH", p) if p.starts_with("/repos/acme/shop/issues/comments/") => {
            let id: u64 = p
                .rsplit('/')
                .next()
                .and_then(|i| i.parse().ok())
                .unwrap_or(0);
            match list.iter_mut().find(|(i, _)| *i == id) {
                Some(c) => {
                    c.1 = body["body"].as_str().unwrap_or("").to_string();
                    Reply::status(200, &json!({ "id": id }).to_string())
                }
                None => Reply::status(404, r#"{"message":"Not Found"}"#),
            }
        }
        _ => Reply::status(404, r#"{"message":"Not Found"}"#),
    }
}

/// One run of the scan step.
pub struct StepRun {
    /// Exit code.
    pub code: i32,
    /// Standard output (annotations).
    pub stdout: String,
    /// Standard error (the log).
    pub stderr: String,
    /// What the step appended to the job summary.
    pub summary: String,
    /// The step's outputs.
    pub outputs: BTreeMap<String, String>,
    /// The SARIF document, when one was written.
    pub sarif: Option<Value>,
}

impl StepRun {
    /// Annotation lines (`::error ...`, `::warning ...`).
    pub fn annotations(&self) -> Vec<&str> {
        self.stdout
            .lines()
            .filter(|l| l.starts_with("::"))
            .collect()
    }
}

/// How to run the step.
pub struct Step<'a> {
    /// `GITHUB_WORKSPACE`.
    pub workspace: &'a Path,
    /// `GITHUB_EVENT_NAME`.
    pub event: &'a str,
    /// The payload: a fixture under `testdata/github/events/` with its placeholders.
    pub payload: (&'a str, &'a [(&'a str, &'a str)]),
    /// Inputs other than their defaults.
    pub inputs: &'a [(&'a str, &'a str)],
    /// Extra environment variables.
    pub env: &'a [(&'a str, &'a str)],
    /// The fake API, if any.
    pub api: Option<&'a FakeGitHub>,
    /// Secrets that must not appear anywhere.
    pub secrets: &'a [&'a str],
}

/// Runs the scan step of action.yml as a runner would, and checks that no secret leaked.
pub fn run_step(step: &Step<'_>) -> StepRun {
    let tmp = tempfile::tempdir().unwrap();
    let files = RunnerFiles::new(tmp.path(), step.payload);
    let yml = action_yml();
    let mut inputs = input_defaults(&yml);
    inputs.insert("token".into(), API_TOKEN.into());
    for (k, v) in step.inputs {
        assert!(inputs.contains_key(*k), "action.yml has no input {k}");
        inputs.insert(k.to_string(), v.to_string());
    }
    let (env, run) = scan_step(&yml);
    let mut cmd = Process::new("bash");
    cmd.arg("-c")
        .arg(&run)
        .env_clear()
        .current_dir(step.workspace);
    files.apply(&mut cmd, step);
    for (k, expr) in &env {
        cmd.env(k, evaluate(expr, &inputs));
    }
    cmd.envs(step.env.iter().copied());
    let out = cmd.output().expect("bash runs");
    let result = files.collect(out);
    assert_no_secret(&result, step);
    result
}

/// The files a runner provides to a step.
struct RunnerFiles {
    event: PathBuf,
    summary: PathBuf,
    output: PathBuf,
    temp: PathBuf,
    home: PathBuf,
}

impl RunnerFiles {
    fn new(dir: &Path, (fixture, fill): (&str, &[(&str, &str)])) -> RunnerFiles {
        let mut payload =
            std::fs::read_to_string(testdata(&format!("github/events/{fixture}"))).unwrap();
        for (k, v) in fill {
            payload = payload.replace(&format!("@{k}@"), v);
        }
        assert!(
            !has_placeholder(&payload),
            "unfilled placeholder: {payload}"
        );
        let files = RunnerFiles {
            event: dir.join("event.json"),
            summary: dir.join("summary.md"),
            output: dir.join("output.txt"),
            temp: dir.join("runner-temp"),
            home: dir.join("home"),
        };
        std::fs::write(&files.event, payload).unwrap();
        std::fs::create_dir_all(&files.temp).unwrap();
        std::fs::create_dir_all(&files.home).unwrap();
        files
    }

    fn apply(&self, cmd: &mut Process, step: &Step<'_>) {
        let bin = assert_cmd::cargo::cargo_bin("keytrail");
        let path = format!(
            "{}:/usr/local/bin:/usr/bin:/bin",
            bin.parent().unwrap().display()
        );
        cmd.env("PATH", path)
            .env("HOME", &self.home)
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GITHUB_ACTIONS", "true")
            .env("GITHUB_EVENT_NAME", step.event)
            .env("GITHUB_EVENT_PATH", &self.event)
            .env("GITHUB_WORKSPACE", step.workspace)
            .env("GITHUB_STEP_SUMMARY", &self.summary)
            .env("GITHUB_OUTPUT", &self.output)
            .env("GITHUB_REPOSITORY", "acme/shop")
            .env("GITHUB_SERVER_URL", "https://github.com")
            .env("RUNNER_TEMP", &self.temp);
        if let Some(api) = step.api {
            cmd.env("GITHUB_API_URL", api.url());
        } else {
            cmd.env("GITHUB_API_URL", "http://127.0.0.1:9");
        }
    }

    fn collect(&self, out: std::process::Output) -> StepRun {
        let outputs = parse_outputs(&std::fs::read_to_string(&self.output).unwrap_or_default());
        let sarif = outputs
            .get("sarif")
            .and_then(|p| std::fs::read_to_string(p).ok())
            .map(|t| serde_json::from_str(&t).expect("SARIF is JSON"));
        StepRun {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
            summary: std::fs::read_to_string(&self.summary).unwrap_or_default(),
            outputs,
            sarif,
        }
    }
}

/// Whether `text` still holds an `@NAME@` placeholder.
fn has_placeholder(text: &str) -> bool {
    text.match_indices('@').any(|(i, _)| {
        let rest = &text[i + 1..];
        rest.find('@')
            .is_some_and(|end| end > 0 && rest[..end].bytes().all(|b| b.is_ascii_uppercase()))
    })
}

/// Reads `GITHUB_OUTPUT` lines (`name=value` and `name<<DELIM` blocks).
fn parse_outputs(text: &str) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let mut lines = text.lines();
    while let Some(line) = lines.next() {
        if let Some((name, delim)) = line.split_once("<<") {
            let value: Vec<&str> = lines.by_ref().take_while(|l| *l != delim).collect();
            out.insert(name.to_string(), value.join("\n"));
        } else if let Some((name, value)) = line.split_once('=') {
            out.insert(name.to_string(), value.to_string());
        }
    }
    out
}

/// No secret (less its public `ghp_` prefix) in the log, summary, outputs, SARIF or anything
/// sent to the API.
fn assert_no_secret(run: &StepRun, step: &Step<'_>) {
    let sent: Vec<String> = step.api.map(|a| a.server.requests()).unwrap_or_default();
    let sarif = run.sarif.as_ref().map(Value::to_string).unwrap_or_default();
    let outputs = format!("{:?}", run.outputs);
    let places = [
        ("stdout", run.stdout.as_str()),
        ("stderr", run.stderr.as_str()),
        ("job summary", run.summary.as_str()),
        ("outputs", outputs.as_str()),
        ("SARIF", sarif.as_str()),
    ];
    for secret in step.secrets {
        let body = secret.strip_prefix("ghp_").unwrap_or(secret);
        for (name, text) in places {
            assert!(!text.contains(body), "a secret is in the {name}:\n{text}");
        }
        for r in &sent {
            assert!(!r.contains(body), "a secret was sent to the API:\n{r}");
        }
    }
}
