use crate::harness::TestApp;
use crate::on_both_backends;

on_both_backends!(
    home_page_is_german_with_security_headers,
    |backend| async move {
        let app = TestApp::start(backend).await;
        let response = app.get("/").await;
        assert_eq!(response.status(), 200);
        let h = response.headers().clone();
        let csp = h["content-security-policy"].to_str().unwrap();
        assert!(
            csp.contains("script-src 'self'") && csp.contains("frame-ancestors 'none'"),
            "{csp}"
        );
        assert!(!csp.contains("unsafe-inline"));
        assert_eq!(h["x-content-type-options"], "nosniff");
        assert!(
            h.get("strict-transport-security").is_none(),
            "no HSTS on plain HTTP"
        );
        let body = response.text().await.unwrap();
        assert!(body.contains("<html lang=\"de\">"));
        assert!(body.contains("Willkommen im digitalen Rathaus"));
        assert!(body.contains("Stadt Musterstadt"));
        assert!(!body.contains("<script"), "pages work without JavaScript");
        assert!(!body.contains("style=\""), "no inline styles under the CSP");
        assert!(
            !body.contains("https://"),
            "nothing is loaded from elsewhere"
        );
        app.stop().await;
    }
);

on_both_backends!(hsts_is_sent_behind_tls, |backend| async move {
    let app = TestApp::start_with(backend, |c| c.behind_tls = true).await;
    let response = app.get("/").await;
    assert!(
        response.headers()["strict-transport-security"]
            .to_str()
            .unwrap()
            .contains("max-age=")
    );
    app.stop().await;
});

on_both_backends!(english_by_browser_or_switch, |backend| async move {
    let app = TestApp::start(backend).await;
    let en = app
        .client
        .get(app.url("/"))
        .header("accept-language", "en-US,en;q=0.9")
        .send()
        .await
        .unwrap();
    let body = en.text().await.unwrap();
    assert!(
        body.contains("<html lang=\"en\">") && body.contains("Welcome to the digital town hall")
    );

    let switch = app.get("/sprache/en?zurueck=%2Fimpressum").await;
    assert_eq!(switch.status(), 303);
    assert_eq!(switch.headers()["location"], "/impressum");
    let cookie = switch.headers()["set-cookie"].to_str().unwrap().to_owned();
    assert!(cookie.starts_with("lang=en") && cookie.contains("HttpOnly"));
    let page = app
        .client
        .get(app.url("/impressum"))
        .header("cookie", "lang=en")
        .send()
        .await
        .unwrap();
    let body = page.text().await.unwrap();
    assert!(body.contains("Legal notice") && body.contains("in German only"));

    // The switch is no open redirect.
    for evil in [
        "//evil.example/",
        "https://evil.example/",
        "/\\evil.example",
    ] {
        let url = format!("/sprache/de?zurueck={}", urlencode(evil));
        let r = app.get(&url).await;
        assert_eq!(r.headers()["location"], "/", "{evil}");
    }
    assert_eq!(app.get("/sprache/fr").await.status(), 404);
    app.stop().await;
});

fn urlencode(s: &str) -> String {
    s.bytes().map(|b| format!("%{b:02X}")).collect()
}

on_both_backends!(legal_pages_and_branding, |backend| async move {
    let app = TestApp::start(backend).await;
    let imprint = app.get("/impressum").await.text().await.unwrap();
    assert!(imprint.contains("Rathausplatz 1"));
    let privacy = app.get("/datenschutz").await.text().await.unwrap();
    assert!(privacy.contains("DSGVO"));
    let a11y = app.get("/barrierefreiheit").await.text().await.unwrap();
    assert!(a11y.contains("BITV 2.0") && a11y.contains("Schlichtungsstelle"));
    let logo = app.get("/logo.svg").await;
    assert_eq!(logo.headers()["content-type"], "image/svg+xml");
    assert!(
        logo.headers()["content-security-policy"]
            .to_str()
            .unwrap()
            .starts_with("default-src 'none'")
    );
    assert!(logo.text().await.unwrap().starts_with("<svg"));
    app.stop().await;
});

on_both_backends!(
    static_assets_are_cached_and_precompressed,
    |backend| async move {
        let app = TestApp::start(backend).await;
        let home = app.get("/").await.text().await.unwrap();
        let css_path = home
            .split('"')
            .find(|s| s.starts_with("/static/") && s.ends_with("kern.min.css"))
            .expect("the layout links KERN")
            .to_owned();
        let css = app
            .client
            .get(app.url(&css_path))
            .header("accept-encoding", "gzip")
            .send()
            .await
            .unwrap();
        assert_eq!(css.status(), 200);
        assert_eq!(css.headers()["content-encoding"], "gzip");
        assert!(
            css.headers()["cache-control"]
                .to_str()
                .unwrap()
                .contains("immutable")
        );
        let etag = css.headers()["etag"].clone();
        let gz_len = css.bytes().await.unwrap().len();
        let plain = app.get(&css_path).await;
        assert!(plain.headers().get("content-encoding").is_none());
        assert!(plain.bytes().await.unwrap().len() > gz_len * 3);
        let again = app
            .client
            .get(app.url(&css_path))
            .header("if-none-match", etag)
            .send()
            .await
            .unwrap();
        assert_eq!(again.status(), 304);
        let font = app
            .get(&css_path.replace("kern.min.css", "fonts/FiraSans-Regular.woff2"))
            .await;
        assert_eq!(font.headers()["content-type"], "font/woff2");
        assert_eq!(app.get("/static/x/nothing.css").await.status(), 404);
        app.stop().await;
    }
);

on_both_backends!(unknown_pages_get_a_german_404, |backend| async move {
    let app = TestApp::start(backend).await;
    let response = app.get("/gibt-es-nicht").await;
    assert_eq!(response.status(), 404);
    let body = response.text().await.unwrap();
    assert!(body.contains("Seite nicht gefunden") && body.contains("Zur Startseite"));
    app.stop().await;
});

on_both_backends!(health_readiness_and_metrics, |backend| async move {
    let app = TestApp::start(backend).await;
    assert_eq!(app.get("/healthz").await.text().await.unwrap(), "ok");
    assert_eq!(app.get("/readyz").await.status(), 200);
    app.get("/").await;
    let metrics = app.get("/metrics").await.text().await.unwrap();
    assert!(
        metrics.contains("http_requests_total{route=\"/\",method=\"GET\",status=\"200\"}"),
        "{metrics}"
    );
    assert!(metrics.contains("http_request_duration_seconds_bucket"));
    assert!(metrics.contains("rathaus_jobs{state=\"dead\"}"));
    app.stop().await;
});

on_both_backends!(
    readiness_fails_when_the_database_is_gone,
    |backend| async move {
        let app = TestApp::start(backend).await;
        app.db().clone().close().await.unwrap();
        assert_eq!(app.get("/readyz").await.status(), 503);
        assert_eq!(
            app.get("/healthz").await.status(),
            200,
            "the process itself is alive"
        );
        app.stop().await;
    }
);

on_both_backends!(cross_site_posts_are_refused, |backend| async move {
    let app = TestApp::start(backend).await;
    let forged = app
        .client
        .post(app.url("/sprache/en"))
        .header("origin", "https://evil.example")
        .header("sec-fetch-site", "cross-site")
        .form(&[("x", "1")])
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), 403);
    assert!(forged.text().await.unwrap().contains("Anfrage abgelehnt"));
    let same_origin = app
        .client
        .post(app.url("/sprache/en"))
        .header("origin", app.base.clone())
        .header("sec-fetch-site", "same-origin")
        .send()
        .await
        .unwrap();
    assert_ne!(
        same_origin.status(),
        403,
        "same-origin requests pass the CSRF check"
    );
    // Every state-changing route of the router, not only this one, and for every kind of
    // visitor alike (the check comes before any handler).
    let posts: Vec<_> = rathaus_web::route_table()
        .into_iter()
        .filter(|r| r.method == reqwest::Method::POST)
        .collect();
    assert!(posts.len() > 40, "{}", posts.len());
    for route in posts {
        let path = route
            .path
            .replace("{reference}", "MS-2026-AAAAA")
            .replace(['{', '}'], "");
        let forged = app
            .client
            .post(app.url(&path))
            .header("origin", "https://evil.example")
            .header("sec-fetch-site", "cross-site")
            .form(&[("x", "1")])
            .send()
            .await
            .unwrap();
        assert_eq!(forged.status(), 403, "{}", route.path);
    }
    app.stop().await;
});
