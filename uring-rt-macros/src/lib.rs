//! `#[uring_rt::main]` and `#[uring_rt::test]`: run an `async fn` on a uring-rt runtime.
//!
//! Re-exported by `uring-rt` under its `macros` feature (on by default); use them from
//! there. Each macro turns the `async fn` into a plain `fn` with the same name, attributes,
//! visibility, arguments and return type, whose body runs the original body with
//! `uring_rt::start`: a new runtime on the calling thread.
//!
//! syn and quote parse and print the function: the errors then point at the offending
//! token, and both crates are already in the workspace's build graph.

use proc_macro::TokenStream;
use quote::{quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{parse_macro_input, ItemFn};

/// Runs an `async fn` (usually `main`) on a new uring-rt runtime on the calling thread.
///
/// The function may take arguments and return anything, `Result` included:
///
/// ```ignore
/// #[uring_rt::main]
/// async fn main() -> std::io::Result<()> {
///     uring_rt::io::nop().await?;
///     Ok(())
/// }
/// ```
///
/// The runtime is made by `uring_rt::start`, which panics with the reason when io_uring
/// cannot be set up.
#[proc_macro_attribute]
pub fn main(args: TokenStream, item: TokenStream) -> TokenStream {
    let input = parse_macro_input!(item as ItemFn);
    expand(args, input, false).unwrap_or_else(|e| e.to_compile_error().into())
}

/// Runs an `async fn` test on a new uring-rt runtime: `#[test]` for async code.
///
/// The test may return `()` or a `Result` (an `Err` fails it, as with `#[test]`):
///
/// ```ignore
/// #[uring_rt::test]
/// async fn nop_round_trip() -> std::io::Result<()> {
///     uring_rt::io::nop().await
/// }
/// ```
#[proc_macro_attribute]
pub fn test(args: TokenStream, item: TokenStream) -> TokenStream {
    let input = parse_macro_input!(item as ItemFn);
    expand(args, input, true).unwrap_or_else(|e| e.to_compile_error().into())
}

fn expand(args: TokenStream, mut input: ItemFn, is_test: bool) -> syn::Result<TokenStream> {
    let name = if is_test { "test" } else { "main" };
    if !args.is_empty() {
        let args = proc_macro2::TokenStream::from(args);
        return Err(syn::Error::new(
            args.span(),
            format!("#[uring_rt::{name}] takes no arguments"),
        ));
    }
    if input.sig.asyncness.take().is_none() {
        return Err(syn::Error::new(
            input.sig.fn_token.span(),
            format!("#[uring_rt::{name}] goes on an `async fn`"),
        ));
    }
    if is_test && !input.sig.inputs.is_empty() {
        return Err(syn::Error::new(
            input.sig.inputs.span(),
            "a #[uring_rt::test] function takes no arguments",
        ));
    }
    if is_test && !input.sig.generics.params.is_empty() {
        return Err(syn::Error::new(
            input.sig.generics.span(),
            "a #[uring_rt::test] function cannot be generic",
        ));
    }
    let body = &input.block;
    let span = body.span();
    let output = match &input.sig.output {
        syn::ReturnType::Default => quote!(()),
        syn::ReturnType::Type(_, ty) => quote!(#ty),
    };
    // The annotation ties the async block's output to the declared return type, so `?` in
    // the body converts errors as it would in a plain fn.
    // `-> !` cannot be named there (the never type is unstable outside return position): the
    // function's return type alone ties the output, as in tokio's macro.
    let never = matches!(&input.sig.output, syn::ReturnType::Type(_, ty) if matches!(**ty, syn::Type::Never(_)));
    let new_body = if never {
        quote_spanned! {span=>
            {
                let body = async move #body;
                ::uring_rt::start(body)
            }
        }
    } else {
        quote_spanned! {span=>
            {
                let body = async move #body;
                let body: ::core::pin::Pin<&mut dyn ::core::future::Future<Output = #output>> =
                    ::core::pin::pin!(body);
                ::uring_rt::start(body)
            }
        }
    };
    input.block = syn::parse2(new_body)?;
    let test_attr = if is_test {
        quote!(#[::core::prelude::v1::test])
    } else {
        quote!()
    };
    Ok(quote!(#test_attr #input).into())
}
