//! The CSAF product tree: every product ID the document defines (in `branches`,
//! `full_product_names` and `relationships`) with the identifiers that let a component
//! be recognised as that product (purl, CPE, hashes, the version its branch names).

use std::collections::HashMap;

use super::node::{Fault, Node};
use super::{CsafHash, CsafProduct};
use crate::purl::Purl;

/// The products of one document, by product ID.
pub(super) type Products = HashMap<String, CsafProduct>;

/// The version information a branch path gives the products under it.
#[derive(Debug, Clone, Default)]
struct BranchContext {
    version: Option<String>,
    version_range: Option<String>,
}

/// Read `/product_tree`; an absent tree defines no product.
pub(super) fn read_products(root: &Node) -> Result<Products, Fault> {
    let mut products = Products::new();
    let Some(tree) = root.get("product_tree")? else {
        return Ok(products);
    };
    for branch in tree.items("branches")? {
        read_branch(&branch, &BranchContext::default(), &mut products)?;
    }
    for full in tree.items("full_product_names")? {
        let product = full_product_name(&full, &BranchContext::default())?;
        define(&full, product, &mut products)?;
    }
    for relationship in tree.items("relationships")? {
        let product = related_product(&relationship, &products)?;
        define(&relationship, product, &mut products)?;
    }
    Ok(products)
}

fn define(at: &Node, product: CsafProduct, products: &mut Products) -> Result<(), Fault> {
    if products.contains_key(&product.product_id) {
        let why = format!("product ID {:?} is defined twice", product.product_id);
        return Err(at.fault(why));
    }
    products.insert(product.product_id.clone(), product);
    Ok(())
}

/// One branch and everything under it. serde_json limits nesting to 128 levels, so
/// the recursion is bounded by the parser.
fn read_branch(branch: &Node, outer: &BranchContext, products: &mut Products) -> Result<(), Fault> {
    let category = branch.req_text("category")?;
    let name = branch.req_text("name")?;
    let mut context = outer.clone();
    match category {
        "product_version" => context.version = Some(name.to_owned()),
        "product_version_range" => context.version_range = Some(name.to_owned()),
        _ => {}
    }

    if let Some(product) = branch.get("product")? {
        let read = full_product_name(&product, &context)?;
        define(&product, read, products)?;
    }
    for inner in branch.items("branches")? {
        read_branch(&inner, &context, products)?;
    }
    Ok(())
}

/// A `full_product_name` object.
fn full_product_name(node: &Node, context: &BranchContext) -> Result<CsafProduct, Fault> {
    let mut product = CsafProduct {
        product_id: node.req_text("product_id")?.to_owned(),
        name: node.req_text("name")?.to_owned(),
        purl: None,
        cpe: None,
        hashes: Vec::new(),
        version: context.version.clone(),
        version_range: context.version_range.clone(),
    };
    if let Some(helper) = node.get("product_identification_helper")? {
        read_helper(&helper, &mut product)?;
    }
    Ok(product)
}

fn read_helper(helper: &Node, product: &mut CsafProduct) -> Result<(), Fault> {
    if let Some(purl) = helper.get("purl")? {
        let parsed = purl.text()?.parse::<Purl>();
        product.purl = Some(parsed.map_err(|e| purl.fault(e.to_string()))?);
    }
    product.cpe = helper.opt_text("cpe")?.map(str::to_owned);
    for file in helper.items("hashes")? {
        let filename = file.req_text("filename")?;
        for hash in file.items("file_hashes")? {
            product.hashes.push(CsafHash {
                filename: filename.to_owned(),
                algorithm: hash.req_text("algorithm")?.to_owned(),
                value: hash.req_text("value")?.to_ascii_lowercase(),
            });
        }
    }
    Ok(())
}

/// A relationship's product: named by its own `full_product_name`, identified by the
/// product it references (a package installed as part of a platform is that package).
fn related_product(relationship: &Node, products: &Products) -> Result<CsafProduct, Fault> {
    let reference = relationship.require("product_reference")?;
    let referenced = products
        .get(reference.text()?)
        .ok_or_else(|| undefined(&reference))?;
    let platform = relationship.require("relates_to_product_reference")?;
    if !products.contains_key(platform.text()?) {
        return Err(undefined(&platform));
    }
    let full = relationship.require("full_product_name")?;
    let own = full_product_name(&full, &BranchContext::default())?;
    Ok(CsafProduct {
        product_id: own.product_id,
        name: own.name,
        purl: own.purl.or_else(|| referenced.purl.clone()),
        cpe: own.cpe.or_else(|| referenced.cpe.clone()),
        hashes: if own.hashes.is_empty() {
            referenced.hashes.clone()
        } else {
            own.hashes
        },
        version: referenced.version.clone(),
        version_range: referenced.version_range.clone(),
    })
}

fn undefined(reference: &Node) -> Fault {
    let id = reference.value.as_str().unwrap_or_default();
    reference.fault(format!(
        "product ID {id:?} is not defined in the product tree"
    ))
}
