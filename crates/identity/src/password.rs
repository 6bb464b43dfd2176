//! Password hashing: Argon2id at OWASP's recommended minimum (19 MiB,
//! 2 passes, 1 lane), PHC strings in the database, and a dummy verification
//! for unknown accounts so sign-in takes as long whether or not one exists.

use std::sync::OnceLock;

use argon2::{Algorithm, Argon2, Params, PasswordHasher, PasswordVerifier, Version};

use crate::model::NewPassword;

/// Memory cost in KiB, passes, lanes (OWASP Password Storage Cheat Sheet).
pub const M_COST: u32 = 19 * 1024;
pub const T_COST: u32 = 2;
pub const P_COST: u32 = 1;

fn hasher() -> Argon2<'static> {
    // The parameters are constants within Argon2's limits.
    #[allow(clippy::expect_used)]
    let params = Params::new(M_COST, T_COST, P_COST, None).expect("valid Argon2 parameters");
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// Hashes a policy-checked password into a PHC string.
pub fn hash(password: &NewPassword) -> String {
    let salt = platform::crypto::random_bytes::<16>();
    // Hashing with valid parameters and a 16-byte salt cannot fail.
    #[allow(clippy::expect_used)]
    hasher().hash_password_with_salt(password.as_bytes(), &salt).expect("Argon2id hashing").to_string()
}

/// Checks a (NFKC-normalised) password against a stored PHC string.
pub fn verify(normalised: &str, phc: &str) -> bool {
    hasher().verify_password(normalised.as_bytes(), phc).is_ok()
}

/// Spends the same time as a real verification, for unknown accounts.
pub fn verify_dummy(normalised: &str) {
    static DUMMY: OnceLock<String> = OnceLock::new();
    let phc = DUMMY.get_or_init(|| {
        #[allow(clippy::expect_used)]
        let p = crate::model::PASSWORD_POLICY.check("dummy password for timing only", None, false).expect("valid");
        hash(&p)
    });
    let _ = verify(normalised, phc);
}

/// A password-hashing job for the pool.
type Job = Box<dyn FnOnce() + Send>;

/// Runs `job` on the hashing pool: as many threads as cores, started on
/// first use. Each hash takes 19 MiB for tens of milliseconds; a fixed pool
/// bounds that memory (the blocking pool would grow a thread, and keep a
/// heap arena, per concurrent sign-in) and queues the excess instead.
async fn on_pool<T: Send + 'static>(work: impl FnOnce() -> T + Send + 'static) -> Result<T, PoolError> {
    static POOL: OnceLock<std::sync::Mutex<std::sync::mpsc::Sender<Job>>> = OnceLock::new();
    let sender = POOL.get_or_init(|| {
        let (tx, rx) = std::sync::mpsc::channel::<Job>();
        let rx = std::sync::Arc::new(std::sync::Mutex::new(rx));
        let threads = std::thread::available_parallelism().map_or(2, |n| n.get());
        for i in 0..threads {
            let rx = rx.clone();
            let _ = std::thread::Builder::new().name(format!("argon2-{i}")).spawn(move || {
                loop {
                    let job = match rx.lock() {
                        Ok(rx) => rx.recv(),
                        Err(_) => return,
                    };
                    match job {
                        Ok(job) => job(),
                        Err(_) => return,
                    }
                }
            });
        }
        std::sync::Mutex::new(tx)
    });
    let (tx, rx) = tokio::sync::oneshot::channel();
    let job: Job = Box::new(move || {
        let _ = tx.send(work());
    });
    sender.lock().map_err(|_| PoolError)?.send(job).map_err(|_| PoolError)?;
    rx.await.map_err(|_| PoolError)
}

/// The hashing pool is gone (a hashing thread panicked).
#[derive(Debug, thiserror::Error)]
#[error("password hashing pool unavailable")]
pub struct PoolError;

/// Hashes a policy-checked password, off the async threads.
pub async fn hash_blocking(password: NewPassword) -> Result<String, PoolError> {
    on_pool(move || hash(&password)).await
}

pub async fn verify_blocking(normalised: String, phc: Option<String>) -> bool {
    on_pool(move || match phc {
        Some(phc) => verify(&normalised, &phc),
        None => {
            verify_dummy(&normalised);
            false
        }
    })
    .await
    .unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::PASSWORD_POLICY;

    #[test]
    fn hashes_are_argon2id_with_our_cost_and_verify() {
        let p = PASSWORD_POLICY.check("tram harbour kite", None, false).unwrap();
        let phc = hash(&p);
        assert!(phc.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{phc}");
        assert!(verify("tram harbour kite", &phc));
        assert!(!verify("tram harbour kitE", &phc));
        assert_ne!(phc, hash(&p), "salted");
        assert!(!verify("x", "not a phc string"));
    }
}
