//! Password hashing: Argon2id at OWASP's recommended minimum (19 MiB,
//! 2 passes, 1 lane), PHC strings in the database, and a dummy verification
//! for unknown accounts so sign-in takes as long whether or not one exists.
//! Hashing runs on a fixed pool, one thread per core, each reusing one
//! arena of Argon2's memory: peak memory is bounded (cores × 19 MiB) and no
//! hash pays for mapping and faulting in fresh pages.

use std::cell::RefCell;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use argon2::password_hash::phc::{Output, ParamsString, Salt};
use argon2::{Algorithm, Argon2, Block, Params, PasswordHash, Version};

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

/// The largest Argon2 memory a stored hash may ask for (KiB): four times
/// ours. A larger one is refused rather than kept in a thread's arena.
const MAX_M_COST: u32 = 4 * M_COST;

thread_local! {
    /// This thread's Argon2 memory, kept between hashes.
    static ARENA: RefCell<Vec<Block>> = const { RefCell::new(Vec::new()) };
}

/// Argon2 of `password` and `salt` into `out`, in this thread's arena.
fn argon2_into(argon: &Argon2<'_>, password: &[u8], salt: &[u8], out: &mut [u8]) -> Result<(), argon2::Error> {
    let blocks = argon.params().block_count();
    ARENA.with_borrow_mut(|arena| {
        if arena.len() < blocks {
            arena.resize(blocks, Block::new());
        }
        argon.hash_password_into_with_memory(password, salt, out, &mut arena[..blocks])
    })
}

/// Hashes a policy-checked password into a PHC string.
pub fn hash(password: &NewPassword) -> String {
    let salt = platform::crypto::random_bytes::<16>();
    // Hashing with valid parameters and a 16-byte salt cannot fail.
    #[allow(clippy::expect_used)]
    phc_string(password.as_bytes(), &salt).expect("Argon2id hashing")
}

/// The PHC string of Argon2id with our cost over `password` and `salt`.
fn phc_string(password: &[u8], salt: &[u8]) -> Result<String, Box<dyn std::error::Error>> {
    let argon = hasher();
    let mut out = [0u8; Params::DEFAULT_OUTPUT_LEN];
    argon2_into(&argon, password, salt, &mut out)?;
    let hash = PasswordHash {
        algorithm: Algorithm::Argon2id.ident(),
        version: Some(Version::V0x13.into()),
        params: ParamsString::try_from(argon.params())?,
        salt: Some(Salt::new(salt)?),
        hash: Some(Output::new(&out)?),
    };
    Ok(hash.to_string())
}

/// Checks a (NFKC-normalised) password against a stored PHC string (an
/// Argon2 one, at most [`MAX_M_COST`]).
pub fn verify(normalised: &str, phc: &str) -> bool {
    let Ok(hash) = PasswordHash::new(phc) else { return false };
    let (Some(salt), Some(expected)) = (&hash.salt, &hash.hash) else { return false };
    let (Ok(algorithm), Ok(params)) = (Algorithm::try_from(hash.algorithm.as_str()), Params::try_from(&hash)) else {
        return false;
    };
    let version = match hash.version.map(Version::try_from) {
        None => Version::default(),
        Some(Ok(v)) => v,
        Some(Err(_)) => return false,
    };
    if params.m_cost() > MAX_M_COST {
        tracing::warn!(m_cost = params.m_cost(), "stored password hash asks for more memory than allowed");
        return false;
    }
    let mut out = vec![0u8; expected.len()];
    if argon2_into(&Argon2::new(algorithm, version, params), normalised.as_bytes(), salt.as_ref(), &mut out).is_err() {
        return false;
    }
    // `Output`'s equality takes the same time wherever the outputs differ.
    Output::new(&out).is_ok_and(|out| &out == expected)
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
        for i in 0..pool_threads() {
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

/// How many verifications at sign-in's cost `threads` threads (not the
/// pool: the raw rate, nothing else in the way) complete in `seconds`, and
/// how long that took: `lionrock password-hash-rate`, the physical limit
/// that sign-ins are measured against.
pub fn raw_rate(threads: usize, seconds: f64) -> (u64, Duration) {
    #[allow(clippy::expect_used)]
    let phc = hash(&crate::model::PASSWORD_POLICY.check("tram harbour kite lantern", None, false).expect("valid"));
    let start = Instant::now();
    let until = start + Duration::from_secs_f64(seconds);
    let done: u64 = std::thread::scope(|s| {
        let workers: Vec<_> = (0..threads)
            .map(|_| {
                s.spawn(|| {
                    let mut n = 0;
                    while Instant::now() < until {
                        n += u64::from(verify("tram harbour kite lantern", &phc));
                    }
                    n
                })
            })
            .collect();
        workers.into_iter().map(|w| w.join().unwrap_or(0)).sum()
    });
    (done, start.elapsed())
}

/// The hashing pool's size: one thread per core.
pub fn pool_threads() -> usize {
    std::thread::available_parallelism().map_or(2, std::num::NonZero::get)
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

    #[test]
    fn hashes_made_by_the_argon2_crate_itself_still_verify() {
        use argon2::PasswordHasher;
        // As stored before the arena: the crate's own PHC string.
        let phc = hasher().hash_password_with_salt(b"tram harbour kite", b"0123456789abcdef").unwrap().to_string();
        assert!(verify("tram harbour kite", &phc));
        assert!(!verify("tram harbour kitE", &phc));
        let p = PASSWORD_POLICY.check("tram harbour kite", None, false).unwrap();
        assert_eq!(
            phc.rsplit_once('$').map(|(params, _)| params.len()),
            hash(&p).rsplit_once('$').map(|(p, _)| p.len())
        );
    }

    #[test]
    fn a_stored_hash_asking_for_too_much_memory_is_refused() {
        let phc = hash(&PASSWORD_POLICY.check("tram harbour kite", None, false).unwrap());
        let greedy = phc.replace("m=19456", &format!("m={}", MAX_M_COST + 1));
        assert!(!verify("tram harbour kite", &greedy));
    }
}
