//! A long list in numbered pages ("Seite 2 von 7") as plain links, so that it works
//! without JavaScript and every page has its own address.

/// The links below one page of a list.
pub struct Pages {
    pub current: usize,
    pub last: usize,
    pub previous: Option<String>,
    pub next: Option<String>,
    /// The first and last page and the neighbours of the current one; `None` where
    /// pages are left out.
    pub links: Vec<Option<PageLink>>,
}

pub struct PageLink {
    pub number: usize,
    pub href: String,
}

/// Pages shown on each side of the current one.
const NEIGHBOURS: usize = 2;

impl Pages {
    /// The page `wanted` (from 1; out of range means the nearest) of `total` items,
    /// `per_page` each, and the links around it; `href(n)` is the address of page `n`.
    pub fn of(
        total: usize,
        per_page: usize,
        wanted: usize,
        href: impl Fn(usize) -> String,
    ) -> Self {
        let last = total.div_ceil(per_page.max(1)).max(1);
        let current = wanted.clamp(1, last);
        let mut links = Vec::new();
        for number in 1..=last {
            let shown = number == 1 || number == last || number.abs_diff(current) <= NEIGHBOURS;
            if shown {
                links.push(Some(PageLink {
                    number,
                    href: href(number),
                }));
            } else if links.last().is_some_and(Option::is_some) {
                links.push(None);
            }
        }
        Self {
            current,
            last,
            previous: (current > 1).then(|| href(current - 1)),
            next: (current < last).then(|| href(current + 1)),
            links,
        }
    }

    pub fn more_than_one(&self) -> bool {
        self.last > 1
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn numbers(pages: &Pages) -> Vec<Option<usize>> {
        pages
            .links
            .iter()
            .map(|l| l.as_ref().map(|l| l.number))
            .collect()
    }

    #[test]
    fn far_pages_are_left_out_and_the_ends_stay() {
        let pages = Pages::of(200, 20, 6, |n| format!("?seite={n}"));
        assert_eq!(pages.last, 10);
        assert_eq!(
            numbers(&pages),
            [
                Some(1),
                None,
                Some(4),
                Some(5),
                Some(6),
                Some(7),
                Some(8),
                None,
                Some(10)
            ]
        );
        assert_eq!(pages.previous.as_deref(), Some("?seite=5"));
        assert_eq!(pages.next.as_deref(), Some("?seite=7"));
    }

    #[test]
    fn out_of_range_means_the_nearest_page() {
        let pages = Pages::of(41, 20, 99, |n| n.to_string());
        assert_eq!((pages.current, pages.last), (3, 3));
        assert_eq!(pages.next, None);
        let first = Pages::of(0, 20, 0, |n| n.to_string());
        assert_eq!(
            (first.current, first.last, first.more_than_one()),
            (1, 1, false)
        );
        assert_eq!(first.previous, None);
    }
}
