//! A real browser for the storefront tests: Debian's Chromium, headless, driven over
//! WebDriver through Debian's ChromeDriver (`make browser` installs both), with fantoccini.
//! One ChromeDriver per test binary; each test opens a browser of its own, with an empty
//! profile, and saves a screenshot of each step under `target/storefront/<test>/`.

use fantoccini::elements::Element;
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{json, Value};
use std::io::Read as _;
use std::path::PathBuf;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

/// Debian's paths; `CHROMIUM` and `CHROMEDRIVER` name others (a Chrome and its driver).
fn chromium() -> String {
    std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into())
}

fn chromedriver() -> String {
    std::env::var("CHROMEDRIVER").unwrap_or_else(|_| "/usr/bin/chromedriver".into())
}

/// How long a page may take to show what a step waits for: the saga settles in seconds,
/// and the CI box is shared with the other tests.
const STEP_TIMEOUT: Duration = Duration::from_secs(60);
const POLL: Duration = Duration::from_millis(200);

/// The flags a headless Chromium needs on a CI box with a closed network: no sandbox (run
/// as root), no GPU, and none of Chromium's own background connections.
const FLAGS: &[&str] = &[
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
];

/// A laptop's window, and a phone's (CSS pixels of a common phone, portrait).
pub const DESKTOP: (u32, u32) = (1280, 1000);
pub const PHONE: (u32, u32) = (390, 844);

struct Driver {
    url: String,
    // Held open for the life of the test binary; the shell that started ChromeDriver
    // stops it when this closes.
    _stdin: Mutex<ChildStdin>,
    _shell: Mutex<Child>,
}

fn driver() -> &'static Driver {
    static DRIVER: OnceLock<Driver> = OnceLock::new();
    DRIVER.get_or_init(|| {
        let driver = chromedriver();
        for path in [chromium(), driver.clone()] {
            assert!(
                std::path::Path::new(&path).exists(),
                "{path} is missing: `make browser` installs Debian's chromium and chromium-driver"
            );
        }
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let mut child = Command::new("sh")
            .args([
                "-c",
                &format!(
                    "{driver} --port={port} >/dev/null 2>&1 & pid=$!; cat >/dev/null; kill $pid"
                ),
            ])
            .stdin(Stdio::piped())
            .spawn()
            .expect("starting chromedriver");
        let stdin = child.stdin.take().expect("a stdin pipe");
        let url = format!("http://127.0.0.1:{port}");
        let started = Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                started.elapsed() < Duration::from_secs(30),
                "chromedriver did not listen on {url}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        Driver {
            url,
            _stdin: Mutex::new(stdin),
            _shell: Mutex::new(child),
        }
    })
}

/// One browser window of one test.
pub struct Browser {
    pub client: Client,
    shots: PathBuf,
    step: u32,
    _profile: TempDir,
}

struct TempDir(PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

impl Browser {
    /// A new headless Chromium with an empty profile, in a laptop's window; `test` names
    /// its screenshot folder.
    pub async fn open(test: &str) -> Browser {
        Browser::open_sized(test, DESKTOP).await
    }

    /// The same, in a window of `(width, height)`.
    pub async fn open_sized(test: &str, (width, height): (u32, u32)) -> Browser {
        let profile = std::env::temp_dir().join(format!(
            "crabcart-chromium-{}",
            uuid::Uuid::new_v4().simple()
        ));
        let mut args: Vec<String> = FLAGS.iter().map(|f| (*f).to_owned()).collect();
        args.push(format!("--user-data-dir={}", profile.display()));
        args.push(format!("--window-size={width},{height}"));
        let mut caps = serde_json::Map::new();
        let mut options = json!({"binary": chromium(), "args": args});
        // Headless windows are at least 500 px wide; a phone's screen is emulated instead.
        if width < 500 {
            options["mobileEmulation"] =
                json!({"deviceMetrics": {"width": width, "height": height, "pixelRatio": 2}});
        }
        caps.insert("goog:chromeOptions".into(), options);
        let connector = hyper_util::client::legacy::connect::HttpConnector::new();
        let client = ClientBuilder::new(connector)
            .capabilities(caps)
            .connect(&driver().url)
            .await
            .expect("a Chromium session from chromedriver");
        let shots = crate::target_dir().join("storefront").join(test);
        let _ = std::fs::remove_dir_all(&shots);
        std::fs::create_dir_all(&shots).expect("the screenshot folder");
        Browser {
            client,
            shots,
            step: 0,
            _profile: TempDir(profile),
        }
    }

    pub async fn goto(&self, url: &str) {
        self.client.goto(url).await.expect("navigating");
    }

    /// Saves what the page shows now as `<nn>-<name>.png`.
    pub async fn screenshot(&mut self, name: &str) -> PathBuf {
        self.step += 1;
        let path = self.shots.join(format!("{:02}-{name}.png", self.step));
        let png = self.client.screenshot().await.expect("a screenshot");
        std::fs::write(&path, png).expect("saving the screenshot");
        path
    }

    /// The text the page shows (what a person reads, not the markup).
    pub async fn text(&self) -> String {
        let body = self.client.find(Locator::Css("body")).await;
        match body {
            Ok(body) => body.text().await.unwrap_or_default(),
            Err(_) => String::new(),
        }
    }

    /// Waits until the page shows `text`, or panics with what it shows instead.
    pub async fn wait_for_text(&self, text: &str) {
        let started = Instant::now();
        loop {
            let shown = self.text().await;
            if shown.contains(text) {
                return;
            }
            assert!(
                started.elapsed() < STEP_TIMEOUT,
                "the page never showed {text:?}; it shows:\n{shown}"
            );
            tokio::time::sleep(POLL).await;
        }
    }

    /// Waits for the element at `xpath`.
    pub async fn element(&self, xpath: &str) -> Element {
        let found = self
            .client
            .wait()
            .at_most(STEP_TIMEOUT)
            .every(POLL)
            .for_element(Locator::XPath(xpath))
            .await;
        match found {
            Ok(element) => element,
            Err(e) => panic!(
                "no {xpath} on the page ({e}); it shows:\n{}",
                self.text().await
            ),
        }
    }

    /// Types `value` into the field whose label starts with `label`.
    pub async fn fill(&self, label: &str, value: &str) {
        let xpath = format!(
            "//*[@id=//label[starts-with(normalize-space(), {})]/@for]",
            xpath_string(label)
        );
        let mut attempts = 0;
        loop {
            let input = self.element(&xpath).await;
            let typed = match input.clear().await {
                Ok(()) => input.send_keys(value).await,
                Err(e) => Err(e),
            };
            match typed {
                Ok(()) => return,
                Err(e) if attempts < 5 && e.to_string().contains("stale element") => {
                    attempts += 1;
                    tokio::time::sleep(POLL).await;
                }
                Err(e) => panic!("typing into {label:?}: {e}"),
            }
        }
    }

    /// Chooses the option shown as `option` in the select labelled `label`.
    pub async fn choose(&self, label: &str, option: &str) {
        self.element(&format!(
            "//select[@id=//label[starts-with(normalize-space(), {})]/@for]/option[normalize-space()={}]",
            xpath_string(label),
            xpath_string(option)
        ))
        .await
        .click()
        .await
        .expect("choosing an option");
    }

    /// Clicks the button that reads `text`.
    pub async fn click(&self, text: &str) {
        self.click_at(&format!(
            "(//button[normalize-space()={}])[1]",
            xpath_string(text)
        ))
        .await;
    }

    /// Follows the link that reads `text`.
    pub async fn follow(&self, text: &str) {
        self.click_at(&format!(
            "(//a[normalize-space()={}])[1]",
            xpath_string(text)
        ))
        .await;
    }

    /// Clicks the button whose accessible name (aria-label) is `label`.
    pub async fn click_labelled(&self, label: &str) {
        self.click_at(&format!("//button[@aria-label={}]", xpath_string(label)))
            .await;
    }

    /// Waits until the page's heading reads `text`: the view has been drawn.
    pub async fn wait_for_heading(&self, text: &str) {
        self.element(&format!("//h1[normalize-space()={}]", xpath_string(text)))
            .await;
    }

    /// Clicks what `xpath` finds; found again if the page redraws it in between.
    async fn click_at(&self, xpath: &str) {
        let mut attempts = 0;
        loop {
            match self.element(xpath).await.click().await {
                Ok(()) => return,
                Err(e) if attempts < 5 && e.to_string().contains("stale element") => {
                    attempts += 1;
                    tokio::time::sleep(POLL).await;
                }
                Err(e) => panic!("clicking {xpath}: {e}"),
            }
        }
    }

    /// The page's URL fragment (`#/orders/<id>`).
    pub async fn fragment(&self) -> String {
        let url = self.client.current_url().await.expect("the current URL");
        url.fragment().unwrap_or_default().to_owned()
    }

    /// Runs `script` in the page (`arguments[0]`... are `args`).
    pub async fn run(&self, script: &str, args: Vec<Value>) -> Value {
        self.client.execute(script, args).await.expect("a script")
    }

    pub async fn close(self) {
        let _ = self.client.close().await;
    }
}

/// `text` as an XPath string literal.
fn xpath_string(text: &str) -> String {
    if !text.contains('\'') {
        return format!("'{text}'");
    }
    let parts: Vec<String> = text.split('\'').map(|p| format!("'{p}'")).collect();
    format!("concat({})", parts.join(", \"'\", "))
}

/// Reads a PNG's width and height from its header: a screenshot is a real picture.
pub fn png_size(path: &std::path::Path) -> (u32, u32) {
    let mut header = [0u8; 24];
    std::fs::File::open(path)
        .and_then(|mut f| f.read_exact(&mut header))
        .expect("a PNG file");
    assert_eq!(&header[1..4], b"PNG", "{} is no PNG", path.display());
    let int = |at: usize| {
        u32::from_be_bytes([header[at], header[at + 1], header[at + 2], header[at + 3]])
    };
    (int(16), int(20))
}
