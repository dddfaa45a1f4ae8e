//! The regions tree seeded at start-up (`data/regions.toml`): 江苏省 in full and 绍兴市.

use crate::storage::{self as store, Db};
use serde::Deserialize;

const REGIONS: &str = include_str!("../../data/regions.toml");

#[derive(Debug, Deserialize)]
struct Regions {
    province: Vec<Province>,
}

#[derive(Debug, Deserialize)]
struct Province {
    code: String,
    name: String,
    city: Vec<City>,
}

#[derive(Debug, Deserialize)]
struct City {
    code: String,
    name: String,
    counties: Vec<(String, String)>,
}

/// Inserts every region that is not there yet. Idempotent.
pub async fn seed(db: &Db) -> anyhow::Result<usize> {
    let regions: Regions = toml::from_str(REGIONS)?;
    if store::region_by_code(db, "330683").await?.is_some() {
        return Ok(0);
    }
    let mut count = 0;
    let mut tx = db.begin().await?;
    for province in &regions.province {
        let province_row =
            store::insert_region(&mut tx, &province.code, &province.name, "province", None).await?;
        count += 1;
        for city in &province.city {
            let city_row =
                store::insert_region(&mut tx, &city.code, &city.name, "city", Some(&province_row))
                    .await?;
            count += 1;
            for (code, name) in &city.counties {
                store::insert_region(&mut tx, code, name, "county", Some(&city_row)).await?;
                count += 1;
            }
        }
    }
    tx.commit().await?;
    Ok(count)
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_seed_has_jiangsu_in_full_and_shaoxing() {
        let regions: super::Regions = toml::from_str(super::REGIONS).unwrap();
        let jiangsu = &regions.province[0];
        assert_eq!(jiangsu.city.len(), 13, "江苏省 has 13 设区市");
        let counties: usize = jiangsu.city.iter().map(|c| c.counties.len()).sum();
        assert_eq!(counties, 95, "江苏省 has 95 county-level divisions");
        for city in &jiangsu.city {
            assert!(
                city.code.starts_with("32")
                    && city
                        .counties
                        .iter()
                        .all(|(code, _)| code.starts_with(&city.code)),
                "{}",
                city.name
            );
        }
        let shaoxing = &regions.province[1].city[0];
        assert_eq!(shaoxing.name, "绍兴市");
        assert_eq!(shaoxing.counties.len(), 6);
    }
}
