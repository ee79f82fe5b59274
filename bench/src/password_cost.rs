//! How long one password verification takes with the parameters Rathaus uses (and with
//! a few alternatives, to choose them): the issue asks for 50–150 ms on the target
//! machine, which also caps logins per core at roughly 1000 / that many per second.
//!
//! Usage: password-cost [rounds]

use std::time::Instant;

use argon2::password_hash::{PasswordHasher, SaltString};
use argon2::{Algorithm, Argon2, Params, PasswordHash, PasswordVerifier, Version};

fn median_ms(rounds: usize, mut run: impl FnMut()) -> f64 {
    let mut times: Vec<f64> = (0..rounds)
        .map(|_| {
            let start = Instant::now();
            run();
            start.elapsed().as_secs_f64() * 1000.0
        })
        .collect();
    times.sort_by(f64::total_cmp);
    times[rounds / 2]
}

fn main() {
    let rounds: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(15);
    let password = "Laterne Fahrrad Wolke";
    let runtime = tokio::runtime::Runtime::new().expect("tokio runtime");
    let stored = runtime
        .block_on(rathaus_core::passwords::hash(password))
        .expect("hash");
    let used = median_ms(rounds, || {
        let verified = runtime.block_on(rathaus_core::passwords::verify(password, Some(&stored)));
        assert!(verified);
    });
    println!(
        "rathaus\t{}\t{used:.1} ms",
        stored.split('$').nth(3).unwrap_or("?")
    );
    // Throughput: many logins at once, as in a rush; bounded by the cores.
    let attempts = 40;
    let start = Instant::now();
    runtime.block_on(async {
        let tasks: Vec<_> = (0..attempts)
            .map(|_| {
                let stored = stored.clone();
                tokio::spawn(async move {
                    rathaus_core::passwords::verify(password, Some(&stored)).await
                })
            })
            .collect();
        for task in tasks {
            assert!(task.await.expect("task"));
        }
    });
    let per_second = f64::from(attempts) / start.elapsed().as_secs_f64();
    println!("throughput\t{attempts} concurrent verifications\t{per_second:.1} per second");
    for (m_kib, t) in [(19_456, 2), (47_104, 1), (65_536, 2), (65_536, 3)] {
        let params = Params::new(m_kib, t, 1, None).expect("params");
        let argon = Argon2::new(Algorithm::Argon2id, Version::V0x13, params);
        let salt = SaltString::encode_b64(b"0123456789abcdef").expect("salt");
        let hash = argon
            .hash_password(password.as_bytes(), &salt)
            .expect("hash")
            .to_string();
        let parsed = PasswordHash::new(&hash).expect("parse");
        let ms = median_ms(rounds, || {
            assert!(argon.verify_password(password.as_bytes(), &parsed).is_ok());
        });
        println!("candidate\tm={m_kib},t={t},p=1\t{ms:.1} ms");
    }
}
