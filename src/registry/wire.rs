//! Lenient building blocks for the registries' JSON wire types: a registry document is
//! deserialized straight into typed structs that name only the fields chainward reads (serde
//! skips the rest without building them), and a field of an unexpected shape costs that field,
//! not the document.
//!
//! - [`Lenient<T>`]: `T` when the value has `T`'s shape, else nothing (never an error);
//! - [`Object<T>`]: `T` read straight from a JSON object (no buffering), else nothing;
//! - [`List<T>`]: the elements of an array that have `T`'s shape, and how many did not;
//! - [`Entries<T>`]: an object's entries in document order.

use std::collections::HashMap;
use std::fmt;
use std::marker::PhantomData;

use serde::Deserialize;
use serde::de::value::MapAccessDeserializer;
use serde::de::{Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

/// `Some(T)` when the value has `T`'s shape, `None` otherwise (`null`, another type, a missing
/// field with `#[serde(default)]`). Only malformed JSON syntax is an error.
#[derive(Debug)]
pub(crate) struct Lenient<T>(pub(crate) Option<T>);

impl<T> Default for Lenient<T> {
    fn default() -> Self {
        Lenient(None)
    }
}

impl<T> Lenient<T> {
    /// The value, when it had the expected shape.
    pub(crate) fn get(&self) -> Option<&T> {
        self.0.as_ref()
    }
}

/// Either the shape wanted or anything else. The value is buffered once to try `T`: used for
/// single fields and array elements, never for a whole document.
#[derive(Deserialize)]
#[serde(untagged)]
enum Or<T> {
    Wanted(T),
    Other(IgnoredAny),
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Lenient<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Ok(Lenient(match Or::<T>::deserialize(deserializer)? {
            Or::Wanted(value) => Some(value),
            Or::Other(_) => None,
        }))
    }
}

/// `Some(T)` for a JSON object, read straight into `T` without buffering it first (so fields
/// `T` does not name are skipped, never built): `T`'s own fields must be lenient, since an
/// error inside the object is the document's. `None` for any other value.
#[derive(Debug)]
pub(crate) struct Object<T>(pub(crate) Option<T>);

impl<T> Object<T> {
    /// The value, when it was an object.
    pub(crate) fn get(&self) -> Option<&T> {
        self.0.as_ref()
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Object<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(ObjectVisitor(PhantomData))
    }
}

struct ObjectVisitor<T>(PhantomData<T>);

impl<'de, T: Deserialize<'de>> Visitor<'de> for ObjectVisitor<T> {
    type Value = Object<T>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an object")
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
        T::deserialize(MapAccessDeserializer::new(map)).map(|value| Object(Some(value)))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(Object(None))
    }

    fn visit_unit<E>(self) -> Result<Self::Value, E> {
        Ok(Object(None))
    }

    fn visit_none<E>(self) -> Result<Self::Value, E> {
        Ok(Object(None))
    }

    fn visit_bool<E>(self, _: bool) -> Result<Self::Value, E> {
        Ok(Object(None))
    }

    fn visit_i64<E>(self, _: i64) -> Result<Self::Value, E> {
        Ok(Object(None))
    }

    fn visit_u64<E>(self, _: u64) -> Result<Self::Value, E> {
        Ok(Object(None))
    }

    fn visit_f64<E>(self, _: f64) -> Result<Self::Value, E> {
        Ok(Object(None))
    }

    fn visit_str<E>(self, _: &str) -> Result<Self::Value, E> {
        Ok(Object(None))
    }
}

/// A JSON array: the elements of `T`'s shape, in order, and how many elements were not.
/// `null` is an empty list; any other non-array value is an empty list with `array == false`.
#[derive(Debug)]
pub(crate) struct List<T> {
    /// The elements that had `T`'s shape.
    pub(crate) items: Vec<T>,
    /// Elements skipped because of their shape.
    pub(crate) bad: usize,
    /// `false` when the value was not an array (nor `null`).
    pub(crate) array: bool,
}

impl<T> Default for List<T> {
    fn default() -> Self {
        List { items: Vec::new(), bad: 0, array: true }
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for List<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(ListVisitor(PhantomData))
    }
}

struct ListVisitor<T>(PhantomData<T>);

impl<T> ListVisitor<T> {
    fn not_an_array() -> List<T> {
        List { items: Vec::new(), bad: 0, array: false }
    }
}

impl<'de, T: Deserialize<'de>> Visitor<'de> for ListVisitor<T> {
    type Value = List<T>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an array")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut list = List::default();
        while let Some(Lenient(item)) = seq.next_element::<Lenient<T>>()? {
            match item {
                Some(item) => list.items.push(item),
                None => list.bad += 1,
            }
        }
        Ok(list)
    }

    fn visit_unit<E>(self) -> Result<Self::Value, E> {
        Ok(List::default())
    }

    fn visit_none<E>(self) -> Result<Self::Value, E> {
        Ok(List::default())
    }

    fn visit_bool<E>(self, _: bool) -> Result<Self::Value, E> {
        Ok(Self::not_an_array())
    }

    fn visit_i64<E>(self, _: i64) -> Result<Self::Value, E> {
        Ok(Self::not_an_array())
    }

    fn visit_u64<E>(self, _: u64) -> Result<Self::Value, E> {
        Ok(Self::not_an_array())
    }

    fn visit_f64<E>(self, _: f64) -> Result<Self::Value, E> {
        Ok(Self::not_an_array())
    }

    fn visit_str<E>(self, _: &str) -> Result<Self::Value, E> {
        Ok(Self::not_an_array())
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(Self::not_an_array())
    }
}

/// A JSON object's entries in document order; a repeated key keeps its first place and its last
/// value (as a map would). Any other value has no entries.
#[derive(Debug)]
pub(crate) struct Entries<T>(pub(crate) Vec<(String, T)>);

impl<T> Default for Entries<T> {
    fn default() -> Self {
        Entries(Vec::new())
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Entries<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(EntriesVisitor(PhantomData))
    }
}

struct EntriesVisitor<T>(PhantomData<T>);

impl<'de, T: Deserialize<'de>> Visitor<'de> for EntriesVisitor<T> {
    type Value = Entries<T>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut entries: Vec<(String, T)> = Vec::new();
        let mut seen: HashMap<String, usize> = HashMap::new();
        while let Some(key) = map.next_key::<String>()? {
            let value = map.next_value::<T>()?;
            if let Some(slot) = seen.get(&key).and_then(|&i| entries.get_mut(i)) {
                slot.1 = value;
            } else {
                seen.insert(key.clone(), entries.len());
                entries.push((key, value));
            }
        }
        Ok(Entries(entries))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(Entries::default())
    }

    fn visit_unit<E>(self) -> Result<Self::Value, E> {
        Ok(Entries::default())
    }

    fn visit_none<E>(self) -> Result<Self::Value, E> {
        Ok(Entries::default())
    }

    fn visit_bool<E>(self, _: bool) -> Result<Self::Value, E> {
        Ok(Entries::default())
    }

    fn visit_i64<E>(self, _: i64) -> Result<Self::Value, E> {
        Ok(Entries::default())
    }

    fn visit_u64<E>(self, _: u64) -> Result<Self::Value, E> {
        Ok(Entries::default())
    }

    fn visit_f64<E>(self, _: f64) -> Result<Self::Value, E> {
        Ok(Entries::default())
    }

    fn visit_str<E>(self, _: &str) -> Result<Self::Value, E> {
        Ok(Entries::default())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[derive(Debug, Deserialize)]
    struct Doc {
        #[serde(default)]
        name: Lenient<String>,
        #[serde(default)]
        list: List<u32>,
        #[serde(default)]
        map: Entries<Lenient<u32>>,
        #[serde(default)]
        objects: Entries<Object<Inner>>,
    }

    #[derive(Debug, Deserialize)]
    struct Inner {
        #[serde(default)]
        a: Lenient<u32>,
    }

    #[test]
    fn wrong_shapes_cost_the_field_not_the_document() {
        let doc: Doc = serde_json::from_str(
            r#"{"name": 3, "list": [1, "x", 2, null], "map": {"b": 1, "a": "x", "b": 2}, "other": {"deep": [1]}}"#,
        )
        .unwrap();
        assert!(doc.name.get().is_none());
        assert_eq!((doc.list.items.as_slice(), doc.list.bad, doc.list.array), (&[1, 2][..], 2, true));
        let map: Vec<(&str, Option<u32>)> = doc.map.0.iter().map(|(k, v)| (k.as_str(), v.0)).collect();
        assert_eq!(map, [("b", Some(2)), ("a", None)]);
        let doc: Doc = serde_json::from_str(r#"{"name": "n", "list": {"a": 1}, "map": [1]}"#).unwrap();
        assert_eq!(doc.name.get().map(String::as_str), Some("n"));
        assert!(!doc.list.array && doc.list.items.is_empty());
        assert!(doc.map.0.is_empty());
        let doc: Doc =
            serde_json::from_str(r#"{"objects": {"x": {"a": 1, "b": [2]}, "y": "z", "w": {"a": "q"}}}"#).unwrap();
        let objects: Vec<(&str, Option<Option<u32>>)> =
            doc.objects.0.iter().map(|(k, v)| (k.as_str(), v.get().map(|i| i.a.0))).collect();
        assert_eq!(objects, [("x", Some(Some(1))), ("y", None), ("w", Some(None))]);
        let doc: Doc = serde_json::from_str(r#"{"list": null}"#).unwrap();
        assert!(doc.list.array && doc.list.items.is_empty());
        assert!(serde_json::from_str::<Doc>(r#"{"name": [1, }"#).is_err());
    }
}
