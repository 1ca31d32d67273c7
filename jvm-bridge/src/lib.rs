//! JNI bridge between the Liquibase extension jar and the lbmongo engine.
//!
//! The bridging layer is not API: each export below is one line that hands a UTF-8 JSON
//! request (`byte[]`) to [`handle`], which calls `executor` and returns one JSON report. No
//! business rule lives in this crate, and Rust never calls into Java. Errors and panics come
//! back inside the report (`{"error": …}`), which `liquibase.ext.lbmongo.Native` turns into its
//! `NativeException`; only a JNI failure itself is thrown, as a `RuntimeException`.

// `#[jni_mangle]` exports each function under its JNI name (`#[unsafe(export_name)]`), which
// the workspace's `unsafe_code = "deny"` would reject; this crate is the one place it is needed.
#![allow(unsafe_code)]

pub mod error;
pub mod handle;
pub mod protocol;

use jni::EnvUnowned;
use jni::errors::ThrowRuntimeExAndDefault;
use jni::jni_mangle;
use jni::objects::{JByteArray, JClass};

/// `byte[] Native.connect(byte[])`: open a connection ([`handle::connect`]).
#[jni_mangle("liquibase.ext.lbmongo.Native")]
pub fn connect<'l>(
    mut env: EnvUnowned<'l>,
    _: JClass<'l>,
    request: JByteArray<'l>,
) -> JByteArray<'l> {
    env.with_env(|env| handle::call(env, &request, handle::connect))
        .resolve::<ThrowRuntimeExAndDefault>()
}

/// `byte[] Native.close(byte[])`: shut a connection's client down ([`handle::close`]).
#[jni_mangle("liquibase.ext.lbmongo.Native")]
pub fn close<'l>(
    mut env: EnvUnowned<'l>,
    _: JClass<'l>,
    request: JByteArray<'l>,
) -> JByteArray<'l> {
    env.with_env(|env| handle::call(env, &request, handle::close))
        .resolve::<ThrowRuntimeExAndDefault>()
}

/// `byte[] Native.change(byte[])`: checksum, validate or preview a change ([`handle::change`]).
#[jni_mangle("liquibase.ext.lbmongo.Native")]
pub fn change<'l>(
    mut env: EnvUnowned<'l>,
    _: JClass<'l>,
    request: JByteArray<'l>,
) -> JByteArray<'l> {
    env.with_env(|env| handle::call(env, &request, handle::change))
        .resolve::<ThrowRuntimeExAndDefault>()
}

/// `byte[] Native.execute(byte[])`: run a change or its inverse ([`handle::execute`]).
#[jni_mangle("liquibase.ext.lbmongo.Native")]
pub fn execute<'l>(
    mut env: EnvUnowned<'l>,
    _: JClass<'l>,
    request: JByteArray<'l>,
) -> JByteArray<'l> {
    env.with_env(|env| handle::call(env, &request, handle::execute))
        .resolve::<ThrowRuntimeExAndDefault>()
}

/// `byte[] Native.precondition(byte[])`: check a precondition ([`handle::precondition`]).
#[jni_mangle("liquibase.ext.lbmongo.Native")]
pub fn precondition<'l>(
    mut env: EnvUnowned<'l>,
    _: JClass<'l>,
    request: JByteArray<'l>,
) -> JByteArray<'l> {
    env.with_env(|env| handle::call(env, &request, handle::precondition))
        .resolve::<ThrowRuntimeExAndDefault>()
}

/// `byte[] Native.lock(byte[])`: one lock service call ([`handle::lock`]).
#[jni_mangle("liquibase.ext.lbmongo.Native")]
pub fn lock<'l>(mut env: EnvUnowned<'l>, _: JClass<'l>, request: JByteArray<'l>) -> JByteArray<'l> {
    env.with_env(|env| handle::call(env, &request, handle::lock))
        .resolve::<ThrowRuntimeExAndDefault>()
}

/// `byte[] Native.history(byte[])`: one history service call ([`handle::history`]).
#[jni_mangle("liquibase.ext.lbmongo.Native")]
pub fn history<'l>(
    mut env: EnvUnowned<'l>,
    _: JClass<'l>,
    request: JByteArray<'l>,
) -> JByteArray<'l> {
    env.with_env(|env| handle::call(env, &request, handle::history))
        .resolve::<ThrowRuntimeExAndDefault>()
}

/// `byte[] Native.parseJson(byte[])`: a JSON changelog into a node tree ([`handle::parse_json`]).
#[jni_mangle("liquibase.ext.lbmongo.Native")]
pub fn parse_json<'l>(
    mut env: EnvUnowned<'l>,
    _: JClass<'l>,
    request: JByteArray<'l>,
) -> JByteArray<'l> {
    env.with_env(|env| handle::call(env, &request, handle::parse_json))
        .resolve::<ThrowRuntimeExAndDefault>()
}

/// `byte[] Native.dropAll(byte[])`: drop every collection ([`handle::drop_all`]).
#[jni_mangle("liquibase.ext.lbmongo.Native")]
pub fn drop_all<'l>(
    mut env: EnvUnowned<'l>,
    _: JClass<'l>,
    request: JByteArray<'l>,
) -> JByteArray<'l> {
    env.with_env(|env| handle::call(env, &request, handle::drop_all))
        .resolve::<ThrowRuntimeExAndDefault>()
}

/// `byte[] Native.parseFormatted(byte[])`: a formatted mongosh changelog into a node tree
/// ([`handle::parse_formatted`]).
#[jni_mangle("liquibase.ext.lbmongo.Native")]
pub fn parse_formatted<'l>(
    mut env: EnvUnowned<'l>,
    _: JClass<'l>,
    request: JByteArray<'l>,
) -> JByteArray<'l> {
    env.with_env(|env| handle::call(env, &request, handle::parse_formatted))
        .resolve::<ThrowRuntimeExAndDefault>()
}

/// `byte[] Native.decodeScript(byte[])`: a `mongoFile` script's bytes into its text
/// ([`handle::decode_script`]).
#[jni_mangle("liquibase.ext.lbmongo.Native")]
pub fn decode_script<'l>(
    mut env: EnvUnowned<'l>,
    _: JClass<'l>,
    request: JByteArray<'l>,
) -> JByteArray<'l> {
    env.with_env(|env| handle::call(env, &request, handle::decode_script))
        .resolve::<ThrowRuntimeExAndDefault>()
}

/// `byte[] Native.version(byte[])`: the library's version, which `Native.java` compares with the
/// jar's before any other call ([`handle::version`]).
#[jni_mangle("liquibase.ext.lbmongo.Native")]
pub fn version<'l>(
    mut env: EnvUnowned<'l>,
    _: JClass<'l>,
    request: JByteArray<'l>,
) -> JByteArray<'l> {
    env.with_env(|env| handle::call(env, &request, handle::version))
        .resolve::<ThrowRuntimeExAndDefault>()
}
