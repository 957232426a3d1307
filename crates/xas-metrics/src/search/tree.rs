//! A k-d tree (`kiddo`) over the coarse coordinates of a [`super::ReducedIndex`], for
//! approximate search of very large libraries without a full pass over the rows.

use std::num::NonZero;
use std::sync::Arc;

use kiddo::{ImmutableKdTree, Manhattan, SquaredEuclidean};

macro_rules! trees {
    ($($variant:ident $k:literal),* $(,)?) => {
        /// A tree of the supported dimension (kiddo needs it at compile time); shared,
        /// since kiddo's immutable trees cannot be cloned.
        #[derive(Clone)]
        pub(crate) enum CoarseTree {
            $(
                #[allow(non_camel_case_types)]
                $variant(Arc<ImmutableKdTree<f32, $k>>, bool),
            )*
        }

        /// Coarse coordinate counts a tree can be built for.
        pub(crate) const TREE_DIMS: &[usize] = &[$($k),*];

        impl std::fmt::Debug for CoarseTree {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                match self {
                    $(CoarseTree::$variant(tree, squared) => f
                        .debug_struct("CoarseTree")
                        .field("dims", &$k)
                        .field("squared", squared)
                        .field("size", &tree.size())
                        .finish(),)*
                }
            }
        }

        impl CoarseTree {
            /// A tree over `points` (`dims` coordinates per row, row-major), with
            /// squared-Euclidean (`squared`) or Manhattan distances; `None` for an
            /// unsupported `dims` or a failed construction.
            pub(crate) fn build(points: &[f32], dims: usize, squared: bool) -> Option<Self> {
                match dims {
                    $(
                        $k => {
                            let rows: Vec<[f32; $k]> = points
                                .chunks_exact($k)
                                .map(|c| {
                                    let mut a = [0.0f32; $k];
                                    a.copy_from_slice(c);
                                    a
                                })
                                .collect();
                            ImmutableKdTree::new_from_slice(&rows)
                                .ok()
                                .map(|t| CoarseTree::$variant(Arc::new(t), squared))
                        }
                    )*
                    _ => None,
                }
            }

            /// Rows of the `count` smallest coarse bounds to `zq`, closest first.
            pub(crate) fn nearest(&self, zq: &[f32], count: usize, out: &mut Vec<usize>) {
                let Some(count) = NonZero::new(count) else { return };
                match self {
                    $(
                        CoarseTree::$variant(tree, squared) => {
                            let mut q = [0.0f32; $k];
                            for (a, b) in q.iter_mut().zip(zq) {
                                *a = *b;
                            }
                            let found = if *squared {
                                tree.query(&q).nearest_n::<SquaredEuclidean<f32>>(count).execute()
                            } else {
                                tree.query(&q).nearest_n::<Manhattan<f32>>(count).execute()
                            };
                            out.extend(found.iter().map(|r| r.item as usize));
                        }
                    )*
                }
            }
        }
    };
}

trees!(d4 4, d5 5, d6 6, d7 7, d8 8, d9 9, d12 12, d13 13, d16 16, d17 17);
