//! Paying the fee before sending, with the sandbox payment service, on both databases.
//! A failed payment changes nothing and can be tried again; a paid one sends the
//! application once, whether the return or the notification comes first or alone; a
//! forged, stale or replayed notification changes nothing; the amount comes from the
//! server; someone else's payment is not found; a payment service that is down leaves
//! the draft as it was with a clear message; payments left open are asked about and
//! expire.

use rathaus_core::payments::{self, notification};
use rathaus_store::entities::{
    fee_notice, issued_document, job, payment, payment_refund, postbox_message,
    sandbox_transaction, submission,
};
use rathaus_store::sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

use crate::assistant::{begin, citizen};
use crate::harness::{SmtpServer, TestApp};
use crate::on_both_backends;
use crate::staff::{ADMIN, CASEWORKER, FINANCE, session};
use crate::submissions::{parking_permit, step};
use crate::teams::the_case;
use crate::workflows::{claim_and_check, take_with};

const SECRET: &str = "geteiltes-geheimnis-der-tests";

async fn start(backend: rathaus_store::Backend, provider: &str) -> (TestApp, SmtpServer) {
    let smtp = SmtpServer::start().await;
    let url = smtp.url();
    let provider = provider.to_owned();
    let app = TestApp::start_with(backend, move |c| {
        c.mail.smtp_url = Some(url);
        if provider == "down" {
            // Nothing listens on the discard port.
            c.payments.provider = Some("xbezahldienste".into());
            c.payments.url = Some("http://127.0.0.1:9/api".into());
        } else {
            c.payments.provider = Some(provider);
        }
        c.payments.notification_secret = Some(SECRET.into());
    })
    .await;
    (app, smtp)
}

async fn payments_of(app: &TestApp) -> Vec<payment::Model> {
    let mut all = payment::Entity::find().all(app.db().conn()).await.unwrap();
    all.sort_by_key(|p| p.created_at);
    all
}

async fn submissions(app: &TestApp) -> Vec<submission::Model> {
    submission::Entity::find()
        .all(app.db().conn())
        .await
        .unwrap()
}

/// The path of an absolute address of this server.
fn local(app: &TestApp, location: &str) -> String {
    location
        .strip_prefix(&app.base)
        .unwrap_or(location)
        .to_owned()
}

/// On the sandbox's page: the citizen's choice; returns the way back to Rathaus.
async fn choose(app: &TestApp, pay_page: &str, choice: &str, notify: bool) -> String {
    let mut form = vec![("ergebnis", choice)];
    if notify {
        form.push(("benachrichtigen", "1"));
    }
    let chosen = app.post_as("", &local(app, pay_page), &form).await;
    assert_eq!(chosen.status(), 303);
    local(app, chosen.headers()["location"].to_str().unwrap())
}

/// Starts paying on the check page; returns the sandbox's payment page.
async fn pay(app: &TestApp, cookie: &str, base: &str) -> String {
    let started = step(app, cookie, &format!("{base}/bezahlen"), &[("betrag", "1")]).await;
    assert!(started.contains("/sandbox/bezahlen/SBX-"), "{started}");
    started
}

/// Follows the way back from the payment page; returns where Rathaus sends on to.
async fn come_back(app: &TestApp, cookie: &str, path: &str) -> String {
    let answer = app.get_as(cookie, path).await;
    assert_eq!(answer.status(), 303, "{path}");
    answer.headers()["location"].to_str().unwrap().to_owned()
}

async fn wait_for_paid(app: &TestApp, id: uuid::Uuid) -> payment::Model {
    for _ in 0..100 {
        let now = payment::Entity::find_by_id(id)
            .one(app.db().conn())
            .await
            .unwrap()
            .unwrap();
        if now.state == "paid" {
            return now;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("payment {id} was not recorded as paid");
}

on_both_backends!(
    the_fee_is_paid_in_the_sandbox_after_a_failed_try_and_sends_the_application_once,
    |backend| async move {
        let (app, smtp) = start(backend, "sandbox").await;
        let erika = citizen(&app, &smtp, "erika@example.org").await;
        let base = parking_permit(&app, &erika).await;

        // The check page names the fee (two years) before anything is paid.
        let check = app.get_as(&erika, &format!("{base}/pruefen")).await;
        let check = check.text().await.unwrap();
        assert!(
            check.contains("60,00 Euro bezahlen und Antrag absenden"),
            "{check}"
        );
        assert!(
            !check.contains(&format!("{base}/absenden")),
            "no sending before paying"
        );
        let unpaid = step(&app, &erika, &format!("{base}/absenden"), &[]).await;
        assert_eq!(unpaid, format!("{base}/pruefen"));
        assert!(submissions(&app).await.is_empty());

        // The first try fails: nothing is sent, the check page says so.
        let page = pay(&app, &erika, &base).await;
        let first = &payments_of(&app).await[0];
        assert_eq!(
            (first.state.as_str(), first.amount_cents),
            ("pending", 6000),
            "the amount is the server's, whatever the browser sent"
        );
        assert_eq!(first.purpose, "Bewohnerparkausweis");
        let shown = app.get(&local(&app, &page)).await.text().await.unwrap();
        assert!(shown.contains("60,00 Euro"));
        let back = choose(&app, &page, "fehlschlagen", false).await;
        let after = come_back(&app, &erika, &back).await;
        assert_eq!(after, format!("{base}/pruefen?zahlung=fehlgeschlagen"));
        let told = app.get_as(&erika, &after).await.text().await.unwrap();
        assert!(told.contains("Die Zahlung ist fehlgeschlagen"));
        assert_eq!(payments_of(&app).await[0].state, "failed");
        assert!(submissions(&app).await.is_empty());

        // The second try is paid; the way back sends the application.
        let page = pay(&app, &erika, &base).await;
        let back = choose(&app, &page, "bezahlen", false).await;
        let sent = come_back(&app, &erika, &back).await;
        assert!(sent.ends_with("?gesendet=1"), "{sent}");
        let sent_again = come_back(&app, &erika, &back).await;
        assert_eq!(
            sent_again, sent,
            "a second return shows the same confirmation"
        );
        let all = payments_of(&app).await;
        assert_eq!(all.len(), 2);
        let paid = &all[1];
        assert_eq!(paid.state, "paid");
        assert!(paid.reference.as_deref().unwrap_or("").starts_with("KZ-"));
        assert_eq!(paid.method.as_deref(), Some("CREDITCARD"));
        let made = submissions(&app).await;
        assert_eq!(made.len(), 1);
        assert_eq!(made[0].fee_cents, Some(6000));
        assert_eq!(paid.submission_id, Some(made[0].id));
        let statuses: Vec<String> = sandbox_transaction::Entity::find()
            .all(app.db().conn())
            .await
            .unwrap()
            .into_iter()
            .map(|t| t.status)
            .collect();
        assert_eq!(statuses.iter().filter(|s| *s == "PAYED").count(), 1);
        assert_eq!(statuses.iter().filter(|s| *s == "FAILED").count(), 1);

        // Finance staff see both tries, the booking reference and the application;
        // the totals and the CSV for the cash office agree; caseworkers and admins see
        // nothing (their roles do not grant it).
        let finance = session(&app, FINANCE).await;
        let listed = app.get_as(&finance, "/verwaltung/zahlungen").await;
        assert_eq!(listed.status(), 200);
        let listed = listed.text().await.unwrap();
        let kassenzeichen = paid.reference.clone().unwrap();
        for expected in [
            kassenzeichen.as_str(),
            made[0].reference.as_str(),
            "Zusammen: 60,00 Euro",
            "fehlgeschlagen",
        ] {
            assert!(listed.contains(expected), "{expected} missing");
        }
        let only_failed = app
            .get_as(&finance, "/verwaltung/zahlungen?status=failed")
            .await
            .text()
            .await
            .unwrap();
        assert!(
            !only_failed.contains(&kassenzeichen) && only_failed.contains("Zusammen: 0,00 Euro")
        );
        let bad = app
            .get_as(&finance, "/verwaltung/zahlungen?von=gestern")
            .await;
        assert_eq!(bad.status(), 400);
        let today = rathaus_core::time::local_day(chrono::Utc::now())
            .format("%Y-%m-%d")
            .to_string();
        let csv = app
            .get_as(
                &finance,
                &format!(
                    "/verwaltung/zahlungen.csv?von={today}&bis={today}&leistung=bewohnerparkausweis"
                ),
            )
            .await
            .text()
            .await
            .unwrap();
        let lines: Vec<&str> = csv.lines().collect();
        assert_eq!(lines.len(), 3, "{csv}");
        assert!(lines[0].starts_with("tag;leistung;aktenzeichen;betrag"));
        let booked: Vec<&&str> = lines.iter().filter(|l| l.contains(";paid;")).collect();
        assert_eq!(booked.len(), 1);
        assert!(
            booked[0].contains(&format!(
                ";{};60,00;EUR;paid;CREDITCARD;{kassenzeichen};",
                made[0].reference
            )),
            "{csv}"
        );
        for other in [CASEWORKER, ADMIN] {
            let other = session(&app, other).await;
            let refused = app.get_as(&other, "/verwaltung/zahlungen").await;
            assert_eq!(refused.status(), 403);
        }
        assert_eq!(
            app.scalar(
                "SELECT CAST(COUNT(*) AS TEXT) AS v FROM audit_log WHERE action = 'payment.list'"
            )
            .await
            .as_deref(),
            Some("3"),
            "each reading, not the refused filter"
        );

        // A refund of part of the fee, with its reason. No reason, more than is left,
        // a payment that was not paid, or someone without the permission: refused, and
        // nothing is written.
        let refund_page = format!("/verwaltung/zahlungen/{}/erstattung", paid.id);
        let shown = app
            .get_as(&finance, &refund_page)
            .await
            .text()
            .await
            .unwrap();
        assert!(shown.contains(&kassenzeichen) && shown.contains("value=\"60,00\""));
        let refund = |fields: &'static [(&'static str, &'static str)]| {
            let (app, finance, path) = (&app, &finance, &refund_page);
            async move { app.post_as(finance, path, fields).await }
        };
        let no_reason = refund(&[("betrag", "20,00"), ("grund", " ")]).await;
        assert_eq!(no_reason.status(), 422);
        assert!(
            no_reason
                .text()
                .await
                .unwrap()
                .contains("Grund der Erstattung an")
        );
        let recorded = refund(&[("betrag", "20,00"), ("grund", "Antrag zurückgenommen")]).await;
        assert_eq!(recorded.status(), 303);
        let too_much = refund(&[("betrag", "40,01"), ("grund", "Rest")]).await;
        assert_eq!(too_much.status(), 422);
        assert!(
            too_much
                .text()
                .await
                .unwrap()
                .contains("höchstens 40,00 Euro")
        );
        let failed = format!("/verwaltung/zahlungen/{}/erstattung", first.id);
        let not_paid = app
            .post_as(&finance, &failed, &[("betrag", "1"), ("grund", "Versehen")])
            .await;
        assert_eq!(not_paid.status(), 422);
        let vera = session(&app, CASEWORKER).await;
        let forbidden = app
            .post_as(&vera, &refund_page, &[("betrag", "1"), ("grund", "x")])
            .await;
        assert_eq!(forbidden.status(), 403);
        let refunds = payment_refund::Entity::find()
            .all(app.db().conn())
            .await
            .unwrap();
        assert_eq!(refunds.len(), 1);
        assert_eq!(
            (refunds[0].amount_cents, refunds[0].reason.as_str()),
            (2000, "Antrag zurückgenommen")
        );
        let listed = app
            .get_as(&finance, "/verwaltung/zahlungen")
            .await
            .text()
            .await
            .unwrap();
        assert!(listed.contains("Davon erstattet: 20,00 Euro"), "{listed}");
        let csv = app
            .get_as(&finance, "/verwaltung/zahlungen.csv?status=paid")
            .await
            .text()
            .await
            .unwrap();
        assert!(csv.lines().next().unwrap().ends_with(";erstattet"));
        assert!(csv.lines().nth(1).unwrap().ends_with(";20,00"), "{csv}");
        assert_eq!(
            app.scalar(
                "SELECT CAST(COUNT(*) AS TEXT) AS v FROM audit_log WHERE action = 'payment.refund'"
            )
            .await
            .as_deref(),
            Some("1")
        );
        app.stop().await;
    }
);

on_both_backends!(
    the_notification_alone_records_the_payment_and_forged_ones_change_nothing,
    |backend| async move {
        let (app, smtp) = start(backend, "sandbox").await;
        let erika = citizen(&app, &smtp, "erika@example.org").await;
        let base = parking_permit(&app, &erika).await;
        let page = pay(&app, &erika, &base).await;
        let open = payments_of(&app).await.remove(0);
        let transaction = open.transaction_id.clone().unwrap();
        let body = serde_json::to_vec(&notification::Notification {
            transaction_id: transaction.clone(),
        })
        .unwrap();
        let notify = |signature: Option<String>, body: Vec<u8>| {
            let mut request = app
                .client
                .post(app.url("/zahlungen/benachrichtigung"))
                .header("content-type", "application/json")
                .body(body);
            if let Some(signature) = signature {
                request = request.header(notification::HEADER, signature);
            }
            request.send()
        };

        // Forged, unsigned, stale: refused. A valid one while nothing was paid: the
        // service is asked, and it says "not yet".
        let now = chrono::Utc::now();
        let forged = notification::sign(b"falsch", now, &body);
        assert_eq!(
            notify(Some(forged), body.clone()).await.unwrap().status(),
            401
        );
        assert_eq!(notify(None, body.clone()).await.unwrap().status(), 401);
        let stale = notification::sign(
            SECRET.as_bytes(),
            now - chrono::Duration::minutes(10),
            &body,
        );
        assert_eq!(
            notify(Some(stale), body.clone()).await.unwrap().status(),
            401
        );
        let early = notification::sign(SECRET.as_bytes(), now, &body);
        assert_eq!(
            notify(Some(early.clone()), body.clone())
                .await
                .unwrap()
                .status(),
            204
        );
        assert_eq!(payments_of(&app).await[0].state, "pending");
        let unknown = serde_json::to_vec(&notification::Notification {
            transaction_id: "SBX-unbekannt".into(),
        })
        .unwrap();
        let signed = notification::sign(SECRET.as_bytes(), now, &unknown);
        assert_eq!(notify(Some(signed), unknown).await.unwrap().status(), 404);

        // Paid, and only the sandbox's notification arrives: recorded. Replaying it
        // changes nothing.
        let back = choose(&app, &page, "bezahlen", true).await;
        let paid = wait_for_paid(&app, open.id).await;
        assert!(
            submissions(&app).await.is_empty(),
            "sent when Erika comes back"
        );
        assert_eq!(
            notify(Some(early), body.clone()).await.unwrap().status(),
            204
        );
        let replayed = payments_of(&app).await.remove(0);
        assert_eq!(
            (replayed.state.as_str(), replayed.paid_at),
            ("paid", paid.paid_at)
        );

        // Someone else cannot use Erika's payment or pay for her draft.
        let max = citizen(&app, &smtp, "max@example.org").await;
        assert_eq!(app.get_as(&max, &back).await.status(), 404);
        assert_eq!(
            app.post_as(&max, &format!("{base}/bezahlen"), &[])
                .await
                .status(),
            404
        );

        // Erika comes back later: her application is sent, nothing is paid twice.
        let sent = come_back(&app, &erika, &back).await;
        assert!(sent.ends_with("?gesendet=1"));
        assert_eq!(submissions(&app).await.len(), 1);
        assert_eq!(payments_of(&app).await.len(), 1);
        app.stop().await;
    }
);

on_both_backends!(
    a_payment_service_that_is_down_leaves_the_draft_with_a_clear_message,
    |backend| async move {
        let (app, smtp) = start(backend, "down").await;
        let erika = citizen(&app, &smtp, "erika@example.org").await;
        let base = parking_permit(&app, &erika).await;
        let tried = step(&app, &erika, &format!("{base}/bezahlen"), &[]).await;
        assert_eq!(tried, format!("{base}/pruefen?zahlung=nicht-erreichbar"));
        let told = app.get_as(&erika, &tried).await.text().await.unwrap();
        assert!(told.contains("Der Bezahldienst ist gerade nicht erreichbar"));
        assert!(
            told.contains("bezahlen und Antrag absenden"),
            "it can be tried again"
        );
        let failed = payments_of(&app).await;
        assert_eq!(failed.len(), 1);
        assert_eq!(failed[0].state, "failed");
        assert!(failed[0].problem.is_some());
        assert!(submissions(&app).await.is_empty());
        let draft = app.get_as(&erika, &format!("{base}/pruefen")).await;
        assert_eq!(draft.status(), 200, "the draft is still there");
        app.stop().await;
    }
);

on_both_backends!(
    the_sandbox_checks_requests_and_open_payments_expire,
    |backend| async move {
        let (app, smtp) = start(backend, "sandbox").await;
        let erika = citizen(&app, &smtp, "erika@example.org").await;
        let base = parking_permit(&app, &erika).await;
        pay(&app, &erika, &base).await;
        let open = payments_of(&app).await.remove(0);
        let api = format!(
            "{}/paymenttransaction/rathaus/rathaus",
            rathaus_web::PAYMENT_SANDBOX_API
        );
        let stored: sandbox_transaction::Model = sandbox_transaction::Entity::find()
            .filter(sandbox_transaction::Column::Id.eq(open.transaction_id.clone().unwrap()))
            .one(app.db().conn())
            .await
            .unwrap()
            .unwrap();
        let request: serde_json::Value = serde_json::from_str(&stored.request).unwrap();

        // The same request id again, and a total that is not the items' sum.
        let again = app
            .client
            .post(app.url(&api))
            .json(&request)
            .send()
            .await
            .unwrap();
        assert_eq!(again.status(), 409);
        let said: serde_json::Value = again.json().await.unwrap();
        assert_eq!(said["functionalCode"], "PAYMENT_EXISTS");
        let mut wrong = request.clone();
        wrong["requestId"] = "anderer-antrag-1".into();
        wrong["grosAmount"] = 1.0.into();
        let refused = app
            .client
            .post(app.url(&api))
            .json(&wrong)
            .send()
            .await
            .unwrap();
        assert_eq!(refused.status(), 400);
        let said: serde_json::Value = refused.json().await.unwrap();
        assert_eq!(said["functionalCode"], "CALCULATION_ERROR");

        // The same open payment is continued; answers that change the fee (one year
        // instead of two) give up the open payment and ask for the new amount: never
        // two open payments for one draft.
        let again = step(&app, &erika, &format!("{base}/bezahlen"), &[]).await;
        assert_eq!(
            Some(again),
            open.pay_url.clone(),
            "the open payment is continued"
        );
        let shorter = [("jahre", "1"), ("einwilligung", "ja")];
        step(&app, &erika, &format!("{base}/schritt/laufzeit"), &shorter).await;
        pay(&app, &erika, &base).await;
        let both = payments_of(&app).await;
        assert_eq!(both.len(), 2);
        assert_eq!(
            (both[0].state.as_str(), both[0].pay_url.as_deref()),
            ("expired", None)
        );
        assert_eq!(
            (both[1].state.as_str(), both[1].amount_cents),
            ("pending", 3000)
        );

        // Left open: the housekeeping asks, and after a day gives it up.
        let provider = &app.server.payments.as_ref().unwrap().provider;
        let soon = chrono::Utc::now() + chrono::Duration::minutes(20);
        assert_eq!(
            payments::check_open(app.db(), provider, soon)
                .await
                .unwrap(),
            1
        );
        assert_eq!(payments_of(&app).await[1].state, "pending");
        let later = chrono::Utc::now() + chrono::Duration::hours(25);
        payments::check_open(app.db(), provider, later)
            .await
            .unwrap();
        let expired = payments_of(&app).await.remove(1);
        assert_eq!(expired.state, "expired");
        assert!(expired.pay_url.is_none());
        let check = app.get_as(&erika, &format!("{base}/pruefen")).await;
        assert!(
            check
                .text()
                .await
                .unwrap()
                .contains("bezahlen und Antrag absenden")
        );
        app.stop().await;
    }
);

/// Erika writes for a building site's use of the street, a service whose fee is set
/// with the decision; returns the application's reference.
async fn sent_for_later_fee(app: &TestApp, erika: &str) -> String {
    let first = begin(app, erika, "sondernutzung-baustelle").await;
    let base = first.trim_end_matches("/schritt/anliegen").to_owned();
    let about = [
        ("betreff", "Gerüst vor Heidestraße 17"),
        (
            "nachricht",
            "Vom 1. bis 14. März steht ein Gerüst auf 12 m² Gehweg.",
        ),
    ];
    step(app, erika, &first, &about).await;
    let contact = [
        ("name", "Erika Mustermann"),
        ("email", "erika@example.org"),
        ("datenschutz", "ja"),
    ];
    let done = step(app, erika, &format!("{base}/schritt/kontakt"), &contact).await;
    assert_eq!(done, format!("{base}/pruefen"));
    // Nothing to pay before sending; the page says when the fee comes.
    let check = app.get_as(erika, &done).await.text().await.unwrap();
    assert!(
        check.contains("mit der Entscheidung festgesetzt"),
        "{check}"
    );
    assert!(!check.contains(&format!("{base}/bezahlen")));
    crate::submissions::send_draft(app, erika, &base).await
}

on_both_backends!(
    a_fee_set_with_the_decision_is_paid_from_the_postbox_and_lets_the_case_close,
    |backend| async move {
        let (app, smtp) = start(backend, "sandbox").await;
        let erika = citizen(&app, &smtp, "erika@example.org").await;
        let reference = sent_for_later_fee(&app, &erika).await;
        let vera = session(&app, CASEWORKER).await;
        claim_and_check(&app, &vera, &reference).await;
        let approve = [
            ("schritt", "bewilligen"),
            ("nachricht", "Die Erlaubnis ist erteilt."),
        ];
        assert_eq!(
            take_with(&app, &vera, &reference, &approve).await.status(),
            303
        );

        // The fee step wants an amount; without one (or with words) nothing is issued.
        let page = app
            .get_as(&vera, &format!("/verwaltung/vorgaenge/{reference}"))
            .await
            .text()
            .await
            .unwrap();
        assert!(page.contains("Gebühr festsetzen") && page.contains("name=\"gebuehr\""));
        let text = "Für das Gerüst setzen wir die Gebühr fest.";
        for typed in ["", "zwölf Euro", "0"] {
            let fields = [
                ("schritt", "gebuehr_festsetzen"),
                ("nachricht", text),
                ("gebuehr", typed),
            ];
            let refused = take_with(&app, &vera, &reference, &fields).await;
            assert_eq!(refused.status(), 422, "{typed:?}");
            let refused = refused.text().await.unwrap();
            assert!(refused.contains("Geben Sie die Gebühr als Betrag in Euro an"));
        }
        assert!(notices(&app).await.is_empty());
        assert_eq!(the_case(&app, &reference).await.state, "bewilligt");

        let fields = [
            ("schritt", "gebuehr_festsetzen"),
            ("nachricht", text),
            ("gebuehr", "120,50"),
        ];
        assert_eq!(
            take_with(&app, &vera, &reference, &fields).await.status(),
            303
        );
        let notice = notices(&app).await.remove(0);
        let today = rathaus_core::time::local_day(chrono::Utc::now());
        assert_eq!(
            (notice.amount_cents, notice.state.as_str(), notice.due_on),
            (12050, "open", today + chrono::Duration::days(30))
        );
        let letter = issued_document::Entity::find_by_id(notice.issued_document_id.unwrap())
            .one(app.db().conn())
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            (letter.kind.as_str(), letter.channel.as_str()),
            ("fee_notice", "postbox")
        );
        let pdf = app.server.blobs.get(&letter.sha256).await.unwrap();
        let words = crate::letters::read_with("pdftotext", &[], &pdf);
        assert!(
            words.contains("120,50 Euro") && words.contains(&reference),
            "{words}"
        );
        // The town's account, in the footer and where the letter says how to transfer.
        assert!(words.contains("Bankverbindung"), "{words}");
        assert!(
            words.matches("IBAN DE89 3704 0044 0532 0130 00").count() >= 2,
            "{words}"
        );

        // The case cannot close while the fee is open.
        let close = [("schritt", "abschliessen")];
        let waiting = take_with(&app, &vera, &reference, &close).await;
        assert_eq!(waiting.status(), 422);
        assert!(waiting.text().await.unwrap().contains("noch nicht bezahlt"));

        // Erika sees the fee on her application's page. The first try fails.
        let mine = format!("/konto/antraege/{reference}");
        let shown = app.get_as(&erika, &mine).await.text().await.unwrap();
        assert!(shown.contains("120,50 Euro online bezahlen"), "{shown}");
        assert!(shown.contains("Gebühr offen"));
        let pay_path = format!("{mine}/gebuehren/{}/bezahlen", notice.id);
        let pay_page = step(&app, &erika, &pay_path, &[("betrag", "1")]).await;
        assert!(pay_page.contains("/sandbox/bezahlen/SBX-"), "{pay_page}");
        let first = payments_of(&app).await.remove(0);
        assert_eq!(
            (
                first.amount_cents,
                first.fee_notice_id,
                first.service_key.as_str()
            ),
            (12050, Some(notice.id), "sondernutzung-baustelle"),
            "the amount is the notice's, whatever the browser sent"
        );
        let sent = submissions(&app).await.remove(0);
        assert_eq!(first.submission_id, Some(sent.id));
        let back = choose(&app, &pay_page, "fehlschlagen", false).await;
        let after = come_back(&app, &erika, &back).await;
        assert_eq!(after, format!("{mine}?zahlung=fehlgeschlagen#gebuehren"));
        let told = app.get_as(&erika, &after).await.text().await.unwrap();
        assert!(told.contains("Die Zahlung ist fehlgeschlagen"));
        assert_eq!(notices(&app).await[0].state, "open");

        // Someone else finds neither the fee nor Erika's payment.
        let max = citizen(&app, &smtp, "max@example.org").await;
        assert_eq!(app.post_as(&max, &pay_path, &[]).await.status(), 404);
        assert_eq!(app.get_as(&max, &back).await.status(), 404);

        // The second try is paid; the notification and the return both arrive.
        let pay_page = step(&app, &erika, &pay_path, &[]).await;
        let back = choose(&app, &pay_page, "bezahlen", true).await;
        let after = come_back(&app, &erika, &back).await;
        assert_eq!(after, format!("{mine}?zahlung=bezahlt#gebuehren"));
        assert_eq!(
            come_back(&app, &erika, &back).await,
            after,
            "a second return"
        );
        let paid = notices(&app).await.remove(0);
        assert_eq!(paid.state, "paid");
        let shown = app.get_as(&erika, &after).await.text().await.unwrap();
        assert!(shown.contains("Ihre Zahlung ist eingegangen"));
        assert!(
            !shown.contains("online bezahlen</span>"),
            "nothing left to pay"
        );
        let messages = postbox_message::Entity::find()
            .filter(postbox_message::Column::Subject.starts_with("Zahlungsbestätigung"))
            .all(app.db().conn())
            .await
            .unwrap();
        assert_eq!(messages.len(), 1, "one payment receipt");
        assert!(messages[0].body.contains("120,50 Euro"));
        let paid_events = app
            .scalar("SELECT CAST(COUNT(*) AS TEXT) AS v FROM case_events WHERE kind = 'fee_paid'")
            .await;
        assert_eq!(paid_events.as_deref(), Some("1"));
        let all = payments_of(&app).await;
        assert_eq!(
            all.iter().map(|p| p.state.as_str()).collect::<Vec<_>>(),
            ["failed", "paid"]
        );

        // Had the server stopped between recording the money and settling the notice
        // (one transaction, so none of it happened), the housekeeping settles it.
        use rathaus_store::sea_orm::sea_query::Expr;
        fee_notice::Entity::update_many()
            .col_expr(fee_notice::Column::State, Expr::value("open"))
            .col_expr(
                fee_notice::Column::PaidAt,
                Expr::value(Option::<chrono::DateTime<chrono::Utc>>::None),
            )
            .exec(app.db().conn())
            .await
            .unwrap();
        postbox_message::Entity::delete_by_id(messages[0].id)
            .exec(app.db().conn())
            .await
            .unwrap();
        rathaus_store::sea_orm::ConnectionTrait::execute_unprepared(
            app.db().conn(),
            "DELETE FROM case_events WHERE kind = 'fee_paid'",
        )
        .await
        .unwrap();
        let provider = &app.server.payments.as_ref().unwrap().provider;
        payments::check_open(app.db(), provider, chrono::Utc::now())
            .await
            .unwrap();
        assert_eq!(notices(&app).await[0].state, "paid");
        let receipts = postbox_message::Entity::find()
            .filter(postbox_message::Column::Subject.starts_with("Zahlungsbestätigung"))
            .all(app.db().conn())
            .await
            .unwrap();
        assert_eq!(receipts.len(), 1, "settled by the housekeeping");

        // The city's app reads the fee with the application.
        let issued = crate::app_access::tokens(&app, &erika, "erika").await;
        let token = issued["access_token"].as_str().unwrap();
        let (status, read) =
            crate::app_access::api(&app, token, &format!("/api/v1/me/applications/{reference}"))
                .await;
        assert_eq!(status, 200);
        assert_eq!(read["fees"][0]["amount_cents"], 12050);
        assert_eq!(read["fees"][0]["state"], "paid");

        // Paid: the case closes. Finance sees the payment under the application.
        assert_eq!(
            take_with(&app, &vera, &reference, &close).await.status(),
            303
        );
        assert_eq!(the_case(&app, &reference).await.state, "abgeschlossen");
        // The case's export keeps the fee and both tries.
        let package = app
            .get_as(
                &vera,
                &format!("/verwaltung/vorgaenge/{reference}/aktenexport.zip"),
            )
            .await
            .bytes()
            .await
            .unwrap();
        let mut zip = zip::ZipArchive::new(std::io::Cursor::new(package)).unwrap();
        let mut bytes = Vec::new();
        std::io::Read::read_to_end(&mut zip.by_name("vorgang.json").unwrap(), &mut bytes).unwrap();
        let meta: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
        assert_eq!(meta["fees"][0]["amount_cents"], 12050);
        assert_eq!(meta["fees"][0]["state"], "paid");
        let states: Vec<&str> = meta["payments"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["state"].as_str().unwrap())
            .collect();
        assert_eq!(states, ["failed", "paid"]);
        let finance = session(&app, FINANCE).await;
        let csv = app
            .get_as(&finance, "/verwaltung/zahlungen.csv")
            .await
            .text()
            .await
            .unwrap();
        assert!(csv.contains(&reference) && csv.contains("120,50"), "{csv}");
        app.stop().await;
    }
);

async fn notices(app: &TestApp) -> Vec<fee_notice::Model> {
    fee_notice::Entity::find()
        .all(app.db().conn())
        .await
        .unwrap()
}

on_both_backends!(
    a_fee_paid_by_someone_who_does_not_come_back_still_sends_the_application,
    |backend| async move {
        let (app, smtp) = start(backend, "sandbox").await;
        let erika = citizen(&app, &smtp, "erika@example.org").await;
        let base = parking_permit(&app, &erika).await;
        let page = pay(&app, &erika, &base).await;
        let open = payments_of(&app).await.remove(0);
        // Erika pays and closes the browser; only the notification arrives.
        let back = choose(&app, &page, "bezahlen", true).await;
        let paid = wait_for_paid(&app, open.id).await;
        assert!(
            submissions(&app).await.is_empty(),
            "she has time to come back"
        );
        let releases = job::Entity::find()
            .filter(job::Column::Kind.eq(payments::release::RELEASE))
            .all(app.db().conn())
            .await
            .unwrap();
        assert_eq!(releases.len(), 1, "one release, however many answers came");
        let waits = releases[0].run_at - paid.paid_at.unwrap();
        assert!(waits >= chrono::Duration::minutes(9), "{waits}");

        // Ten minutes later (here: now) the application is sent as she would have sent it.
        job::Entity::update_many()
            .col_expr(
                job::Column::RunAt,
                rathaus_store::sea_orm::sea_query::Expr::value(chrono::Utc::now()),
            )
            .filter(job::Column::Id.eq(releases[0].id))
            .exec(app.db().conn())
            .await
            .unwrap();
        // The worker asks for due jobs every half second.
        let mut sent = Vec::new();
        for _ in 0..100 {
            sent = submissions(&app).await;
            if !sent.is_empty() {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        assert_eq!(sent.len(), 1, "sent by itself");
        assert_eq!(
            (sent[0].applicant_name.as_str(), sent[0].fee_cents),
            ("Erika Mustermann", Some(6000))
        );
        assert_eq!(
            sent[0].citizen_id,
            payments_of(&app).await[0]
                .owner
                .strip_prefix("citizen:")
                .and_then(|id| id.parse().ok())
        );
        crate::letters::receipt_of(&app, &sent[0].reference).await;
        assert_eq!(payments_of(&app).await[0].submission_id, Some(sent[0].id));

        // When she does come back, she finds it sent; nothing is sent twice.
        let later = come_back(&app, &erika, &back).await;
        assert_eq!(
            later,
            format!("/konto/antraege/{}?gesendet=1", sent[0].reference)
        );
        assert_eq!(submissions(&app).await.len(), 1);
        app.stop().await;
    }
);
