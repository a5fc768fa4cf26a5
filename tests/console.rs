//! The analysts' console in a real browser: Debian's chromium, driven through
//! chromedriver (W3C WebDriver over HTTP), against a real server with the
//! committed sample data. Each page's screenshot is kept under
//! `target/console-screenshots/` as a test artefact.
//!
//! `scripts/setup.sh` installs chromium, chromium-driver and a Japanese font.

mod common;

use std::{
    net::SocketAddr,
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    time::Duration,
};

use base64::Engine as _;
use common::{ServerProcess, ServerSetup};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const CHROMIUM: &str = "/usr/bin/chromium";
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
/// The W3C name of an element reference in WebDriver answers.
const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

/// One HTTP/1.1 exchange with chromedriver; returns its JSON `value`. The
/// driver keeps connections open, so the body is read to its Content-Length.
async fn webdriver(addr: SocketAddr, method: &str, path: &str, body: Option<Value>) -> Result<Value, String> {
    let exchange = async {
        let mut stream = tokio::net::TcpStream::connect(addr)
            .await
            .map_err(|e| format!("chromedriver: {e}"))?;
        let body = body.map(|b| b.to_string()).unwrap_or_default();
        let request = format!(
            "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        );
        stream.write_all(request.as_bytes()).await.map_err(|e| e.to_string())?;
        let mut response = Vec::new();
        let mut chunk = vec![0u8; 65536];
        let (head_end, length) = loop {
            let read = stream.read(&mut chunk).await.map_err(|e| e.to_string())?;
            if read == 0 {
                return Err("chromedriver closed the connection".to_owned());
            }
            response.extend_from_slice(&chunk[..read]);
            if let Some(end) = response.windows(4).position(|w| w == b"\r\n\r\n") {
                let head = String::from_utf8_lossy(&response[..end]).to_ascii_lowercase();
                let length = head
                    .lines()
                    .find_map(|line| line.strip_prefix("content-length:"))
                    .and_then(|value| value.trim().parse::<usize>().ok())
                    .ok_or_else(|| format!("no Content-Length in {head}"))?;
                break (end + 4, length);
            }
        };
        while response.len() < head_end + length {
            let read = stream.read(&mut chunk).await.map_err(|e| e.to_string())?;
            if read == 0 {
                return Err("chromedriver closed the connection mid-body".to_owned());
            }
            response.extend_from_slice(&chunk[..read]);
        }
        let body = &response[head_end..head_end + length];
        let value: Value =
            serde_json::from_slice(body).map_err(|e| format!("{e}: {}", String::from_utf8_lossy(body)))?;
        if value["value"]["error"].is_string() {
            return Err(format!("{}: {}", value["value"]["error"], value["value"]["message"]));
        }
        Ok(value["value"].clone())
    };
    tokio::time::timeout(Duration::from_secs(120), Box::pin(exchange))
        .await
        .unwrap_or_else(|_| Err(format!("chromedriver did not answer {method} {path}")))
}

/// A chromium session, ended (and the driver stopped) when dropped.
struct Browser {
    driver: Child,
    addr: SocketAddr,
    session: String,
    screenshots: PathBuf,
    shots: usize,
}

impl Browser {
    async fn start(downloads: &Path, screenshots: PathBuf) -> Self {
        for path in [CHROMIUM, CHROMEDRIVER] {
            assert!(
                Path::new(path).exists(),
                "{path} is missing: scripts/setup.sh installs chromium and chromium-driver for these tests"
            );
        }
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let driver = Command::new(CHROMEDRIVER)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start chromedriver");
        let addr: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
        let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
        while webdriver(addr, "GET", "/status", None).await.is_err() {
            assert!(tokio::time::Instant::now() < deadline, "chromedriver did not start");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let capabilities = json!({ "capabilities": { "alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": CHROMIUM,
                "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                         "--window-size=1280,1000", "--lang=en-US"],
                "prefs": {
                    "download.default_directory": downloads.to_str().unwrap(),
                    "download.prompt_for_download": false
                }
            }
        }}});
        let created = webdriver(addr, "POST", "/session", Some(capabilities))
            .await
            .expect("a chromium session");
        let session = created["sessionId"].as_str().expect("a session id").to_owned();
        let mut browser = Self {
            driver,
            addr,
            session,
            screenshots,
            shots: 0,
        };
        // Headless chromium writes downloads only where told to (the Page domain's
        // command, or the Browser domain's that newer versions prefer).
        let mut allowed = Err(String::new());
        for domain in ["Page", "Browser"] {
            allowed = browser
                .command(
                    "POST",
                    "/chromium/send_command",
                    json!({ "cmd": format!("{domain}.setDownloadBehavior"),
                            "params": { "behavior": "allow", "downloadPath": downloads.to_str().unwrap() } }),
                )
                .await;
            if allowed.is_ok() {
                break;
            }
        }
        allowed.expect("downloads allowed");
        std::fs::create_dir_all(&browser.screenshots).unwrap();
        browser.shots = 0;
        browser
    }

    async fn command(&mut self, method: &str, path: &str, body: Value) -> Result<Value, String> {
        let body = (method == "POST").then_some(body);
        webdriver(self.addr, method, &format!("/session/{}{path}", self.session), body).await
    }

    async fn open(&mut self, url: &str) {
        self.command("POST", "/url", json!({ "url": url }))
            .await
            .expect("navigate");
    }

    /// Runs `script` (a function body) in the page and returns what it returns.
    async fn run(&mut self, script: &str, args: Value) -> Value {
        self.command("POST", "/execute/sync", json!({ "script": script, "args": args }))
            .await
            .unwrap_or_else(|e| panic!("{e}\n{script}"))
    }

    /// The first element matching `css`, waiting up to 30 s for it to appear.
    async fn find(&mut self, css: &str) -> String {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
        loop {
            if let Ok(found) = self
                .command("POST", "/element", json!({ "using": "css selector", "value": css }))
                .await
                && let Some(id) = found[ELEMENT].as_str()
            {
                return id.to_owned();
            }
            if tokio::time::Instant::now() > deadline {
                let page = self.run("return document.body.innerText;", json!([])).await;
                panic!("no element {css} on the page:\n{page}");
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    async fn click(&mut self, css: &str) {
        let element = self.find(css).await;
        self.command("POST", &format!("/element/{element}/click"), json!({}))
            .await
            .unwrap_or_else(|e| panic!("click {css}: {e}"));
    }

    async fn type_into(&mut self, css: &str, text: &str) {
        let element = self.find(css).await;
        self.command("POST", &format!("/element/{element}/value"), json!({ "text": text }))
            .await
            .unwrap_or_else(|e| panic!("type into {css}: {e}"));
    }

    async fn text(&mut self, css: &str) -> String {
        let element = self.find(css).await;
        self.command("GET", &format!("/element/{element}/text"), json!({}))
            .await
            .unwrap()
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }

    /// Waits until `condition` (a script returning a boolean) holds.
    async fn wait_until(&mut self, what: &str, condition: &str) {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
        while self.run(condition, json!([])).await != Value::Bool(true) {
            if tokio::time::Instant::now() > deadline {
                let page = self.run("return document.body.innerText;", json!([])).await;
                panic!("never: {what}\n{page}");
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Saves a screenshot as `NN-name.png`; returns its path.
    async fn screenshot(&mut self, name: &str) -> PathBuf {
        self.shots += 1;
        let png = self
            .command("GET", "/screenshot", json!({}))
            .await
            .expect("a screenshot");
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(png.as_str().unwrap_or_default())
            .expect("base64 PNG");
        assert!(bytes.starts_with(b"\x89PNG"), "a PNG");
        let path = self.screenshots.join(format!("{:02}-{name}.png", self.shots));
        std::fs::write(&path, bytes).unwrap();
        path
    }
}

impl Browser {
    /// Ends the session (closing chromium), then stops the driver.
    async fn quit(mut self) {
        let _ = self.command("DELETE", "", json!({})).await;
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        // After quit, or when a test failed half-way: the driver goes either way.
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

fn screenshots_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("target/console-screenshots")
}

#[tokio::test]
async fn an_analyst_signs_in_reads_an_explained_shortlist_downloads_it_and_runs_a_rescore() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let setup = ServerSetup {
        sample: true,
        test_taxonomy: false,
        ..ServerSetup::default()
    };
    let server = ServerProcess::start(&data, setup)
        .await
        .expect("the server starts with the sample");
    let key = std::fs::read_to_string(data.join("admin.key")).unwrap();
    let console = format!("http://{}/", server.http_addr);
    // The sample indexed, and its stored shortlists computed in the background at first start.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(300);
    loop {
        let (status, _, _) = common::http_post_json(
            server.http_addr,
            "/api/alumni.matching.v1.MatchService/GetShortlist",
            key.trim(),
            "{\"opportunity_id\": \"opp-00000\", \"page_size\": 1}",
        )
        .await;
        // The background run is over (it holds its opportunities until it ends).
        let (_, _, metrics) = common::http_get(server.http_addr, "/metrics", &[]).await;
        let indexed = metrics.contains("alumni_match_documents{tenant=\"default\"} 2000\n");
        if status == 200 && indexed && metrics.contains("alumni_match_rescore_runs_active{tenant=\"default\"} 0\n") {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the sample's shortlists were never stored"
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    let downloads = dir.path().join("downloads");
    std::fs::create_dir_all(&downloads).unwrap();
    let _ = std::fs::remove_dir_all(screenshots_dir());
    let mut browser = Browser::start(&downloads, screenshots_dir()).await;

    // Sign in: the key goes into the form, never into the URL.
    browser.open(&console).await;
    browser.find("#sign-in").await;
    browser.screenshot("sign-in").await;
    browser.type_into("#api-key", key.trim()).await;
    browser.click("#sign-in button[type=submit]").await;
    browser.find("#opportunities tbody tr[data-id]").await;
    let url = browser.command("GET", "/url", json!({})).await.unwrap();
    assert!(
        !url.as_str().unwrap().contains(key.trim()),
        "the key is not in the URL: {url}"
    );
    assert_eq!(browser.text("#who").await, "default · admin");
    let rows = browser
        .run(
            "return document.querySelectorAll('#opportunities tbody tr[data-id]').length;",
            json!([]),
        )
        .await;
    assert!(
        rows.as_u64().unwrap() >= 10,
        "the sample's open opportunities are listed: {rows}"
    );
    browser.screenshot("opportunities").await;
    // The text filter narrows the list.
    browser.type_into("#filter-text", "opp-00002").await;
    browser
        .wait_until(
            "the filter leaves one opportunity",
            "return document.querySelectorAll('#opportunities tbody tr[data-id]').length === 1;",
        )
        .await;

    // The live ranking of a REHIRE opening, each explanation adding up to its score.
    browser.open(&format!("{console}#/opportunity/opp-00000")).await;
    browser.find("#tab-live").await;
    browser.click("#tab-live").await;
    browser.find("#candidates tr.candidate").await;
    browser.click("#candidates tr.candidate button.toggle").await;
    let sums = browser
        .run(
            "return [...document.querySelectorAll('#candidates tr.details')].map(row => {
               const score = Number(row.previousElementSibling.dataset.score);
               const parts = [...row.querySelectorAll('tr.component')].map(c => Number(c.dataset.contribution));
               return { score, sum: parts.reduce((a, b) => a + b, 0), parts: parts.length };
             });",
            json!([]),
        )
        .await;
    let sums = sums.as_array().expect("candidates with explanations");
    assert!(sums.len() >= 10, "a page of candidates: {sums:?}");
    for candidate in sums {
        let (score, sum) = (candidate["score"].as_f64().unwrap(), candidate["sum"].as_f64().unwrap());
        assert!(
            candidate["parts"].as_u64().unwrap() >= 3,
            "components shown: {candidate}"
        );
        assert!(
            (score - sum).abs() < 1e-6,
            "components add up to the score: {candidate}"
        );
    }
    let shown = browser.text("#candidates tr.details:not([hidden]) .sum").await;
    assert!(shown.starts_with("Components add up to"), "{shown}");
    browser.screenshot("live-ranking-explained").await;
    // Paging: the second page starts after the first.
    browser.click("#next").await;
    browser
        .wait_until(
            "the second page",
            "const first = document.querySelector('#candidates tr.candidate td.number');
             return first !== null && first.textContent === '21';",
        )
        .await;

    browser.click("#tab-stored").await;
    browser.find("#candidates tr.candidate").await;
    let top = browser
        .run(
            "return document.querySelector('#candidates tr.candidate').dataset.alumnus;",
            json!([]),
        )
        .await;
    let top = top.as_str().expect("the top candidate's id").to_owned();
    let summary = browser.text(".summary").await;
    assert!(summary.contains("100 candidates"), "{summary}");
    browser.click("#candidates tr.candidate button.toggle").await;
    browser.find("#candidates tr.details:not([hidden]) .bar").await;
    browser.screenshot("stored-shortlist-explained").await;
    // A re-score from the page writes it again, with its progress shown.
    browser.click("#rescore-one").await;
    browser
        .wait_until(
            "the re-score finishes",
            "const p = document.querySelector('#rescore-progress'); return p !== null && p.dataset.done === 'true';",
        )
        .await;
    let progress = browser.text("#rescore-progress .progress-text").await;
    assert!(progress.starts_with("Done: 1 shortlists written"), "{progress}");
    browser.find("#candidates tr.candidate").await;
    browser.screenshot("rescore-done").await;

    // The CSV download: UTF-8 with a byte-order mark, a header, one row per candidate.
    browser.click("#download-csv").await;
    let csv_path = downloads.join("shortlist-opp-00000-stored.csv");
    // Chromium writes to a temporary name and renames the file when it is complete.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    while !csv_path.exists() {
        assert!(tokio::time::Instant::now() < deadline, "no CSV downloaded");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let csv = std::fs::read_to_string(&csv_path).unwrap();
    assert!(csv.starts_with('\u{feff}'), "a byte-order mark for spreadsheets");
    let lines: Vec<&str> = csv.trim_end().split("\r\n").collect();
    assert!(
        lines[0]
            .trim_start_matches('\u{feff}')
            .starts_with("rank,alumnus_id,display_name,score,reason")
    );
    assert_eq!(lines.len(), 101, "a header and the 100 stored candidates");

    // A MENTORING opening: its mentor assignment.
    browser.open(&format!("{console}#/opportunity/opp-00002")).await;
    browser.click("#assign-mentors").await;
    browser.find("#mentors tbody tr").await;
    browser.screenshot("mentor-assignment").await;

    // The opportunities that fit one alumnus.
    browser.open(&format!("{console}#/alumnus")).await;
    browser.type_into("#alumnus-id", &top).await;
    browser.click("#alumnus-form button[type=submit]").await;
    browser.find("#fits tr.match").await;
    browser.screenshot("alumnus-fits").await;

    // The funnel, after a recruiting system recorded what came of the top candidate.
    let outcomes = format!(
        "{{\"outcomes\": [\
          {{\"alumnus_id\": \"{top}\", \"opportunity_id\": \"opp-00000\", \"kind\": \"OUTCOME_KIND_CONTACTED\", \"occurred_at\": \"2026-11-02T09:00:00Z\"}},\
          {{\"alumnus_id\": \"{top}\", \"opportunity_id\": \"opp-00000\", \"kind\": \"OUTCOME_KIND_REPLIED\", \"occurred_at\": \"2026-11-04T09:00:00Z\"}}]}}"
    );
    let (status, _, body) = common::http_post_json(
        server.http_addr,
        "/api/alumni.matching.v1.OutcomeService/RecordOutcomes",
        key.trim(),
        &outcomes,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    browser.open(&format!("{console}#/funnel")).await;
    browser.find("#funnel-opportunities tr[data-id='opp-00000']").await;
    let contacted = browser.text("#funnel-kinds tr.total td[data-stage='contacted']").await;
    assert!(contacted.starts_with("1 ("), "{contacted}");
    let replied = browser
        .text("#funnel-opportunities tr[data-id='opp-00000'] td[data-stage='replied']")
        .await;
    assert!(replied.starts_with("1 ("), "{replied}");
    let shown = browser.text("#funnel-kinds tr.total td[data-stage='shown']").await;
    assert!(
        shown.parse::<u64>().unwrap() >= 20,
        "the pages read above were shown: {shown}"
    );
    browser.screenshot("funnel").await;

    // The whole interface in Japanese, with Japanese data rendered beside it.
    browser.open(&format!("{console}#/opportunities")).await;
    browser.find("#opportunities tbody tr[data-id]").await;
    browser
        .run(
            "const s = document.getElementById('language'); s.value = 'ja'; s.dispatchEvent(new Event('change'));",
            json!([]),
        )
        .await;
    browser
        .wait_until(
            "the interface in Japanese",
            "return document.documentElement.lang === 'ja' && document.querySelector('main h2').textContent === '募集一覧';",
        )
        .await;
    assert_eq!(browser.text("#nav a[href='#/opportunities']").await, "募集");
    browser.screenshot("opportunities-japanese").await;
    browser.open(&format!("{console}#/opportunity/opp-00004")).await;
    browser.click("#tab-live").await;
    browser.find("#candidates tr.candidate").await;
    browser.screenshot("live-ranking-japanese").await;

    // Signing out forgets the key.
    browser.click("#sign-out").await;
    browser.find("#sign-in").await;
    let stored = browser.run("return sessionStorage.length;", json!([])).await;
    assert_eq!(stored, json!(0));
    browser.quit().await;
    drop(server);
}

#[tokio::test]
async fn a_matcher_key_sees_only_what_its_role_may_and_the_page_refuses_framing_and_inline_code() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let server = ServerProcess::spawn(&data, None, "warn").await;
    let keys = alumni_match::access::KeyFile::new(data.join("api-keys.toml"));
    let matcher = keys
        .issue(
            alumni_match::access::TenantId::default_tenant(),
            alumni_match::access::Role::Matcher,
            "console test",
        )
        .unwrap();
    let http = server.http_addr;
    let bearer = format!("Bearer {}", matcher.key);
    // The server picks the new key up from its file within about a second.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while common::http_get(http, "/api/session", &[("authorization", &bearer)])
        .await
        .0
        != 200
    {
        assert!(tokio::time::Instant::now() < deadline, "the new key was never accepted");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    let (status, headers, _) = common::http_get(http, "/", &[]).await;
    assert_eq!(status, 200);
    let csp = &headers["content-security-policy"];
    assert!(
        csp.contains("script-src 'self'") && csp.contains("frame-ancestors 'none'"),
        "{csp}"
    );
    assert_eq!(headers["x-frame-options"], "DENY");
    assert_eq!(headers["referrer-policy"], "no-referrer");

    let (status, _, body) = common::http_get(http, "/api/session", &[("authorization", &bearer)]).await;
    assert_eq!(status, 200, "{body}");
    let session: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(session["role"], "matcher");
    let methods: Vec<&str> = session["methods"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert!(methods.contains(&"Match") && !methods.contains(&"ListOpportunities") && !methods.contains(&"GetAlumnus"));

    // The gateway is the API: the matcher's key is refused what its role may not call.
    let (status, _, body) = common::http_post_json(
        http,
        "/api/alumni.matching.v1.OpportunityService/ListOpportunities",
        &matcher.key,
        "{}",
    )
    .await;
    assert_eq!(status, 403, "{body}");
    assert!(body.contains("PERMISSION_DENIED"), "{body}");
    let (status, _, body) = common::http_post_json(
        http,
        "/api/alumni.matching.v1.AlumniService/GetAlumnus",
        "not-a-key",
        "{\"id\":\"x\"}",
    )
    .await;
    assert_eq!(status, 401, "{body}");
    let (status, _, body) = common::http_post_json(
        http,
        "/api/alumni.matching.v1.MatchService/Match",
        &matcher.key,
        "{\"opportunity_id\": \"nope\", \"limit\": 5000}",
    )
    .await;
    assert_eq!(status, 400, "validated once, at the edge, as for gRPC: {body}");
    assert!(body.contains("field_violations") && body.contains("limit"), "{body}");
    drop(server);
}
