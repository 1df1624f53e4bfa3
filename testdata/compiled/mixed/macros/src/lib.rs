use proc_macro::TokenStream;

#[proc_macro]
pub fn hello(_input: TokenStream) -> TokenStream {
    let out: proc_macro2::TokenStream = quote::quote! { pub fn hello() {} };
    out.into()
}
