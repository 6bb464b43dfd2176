# Open data: the catalogue's pages.

opendata-nav = Open data
opendata-title = Open data
opendata-service-summary = Find and download the government's datasets, free of charge, in three languages.
opendata-intro = { $plural ->
    [one] One dataset, free to use, with its files and APIs.
   *[other] { $count } datasets, free to use, with their files and APIs.
}
opendata-search-label = Search datasets
opendata-search-submit = Search
opendata-search-title = Datasets
opendata-categories = Categories
opendata-datasets-count = { $plural ->
    [one] (1 dataset)
   *[other] ({ $count } datasets)
}
opendata-latest = Latest datasets
opendata-none-yet = No datasets have been published yet.
opendata-all-datasets = All datasets
opendata-organisations-title = Publishers
opendata-organisation = Publisher
opendata-category = Category
opendata-modified = Updated
opendata-sort-label = Sort by
opendata-sort-relevance = Best match
opendata-sort-newest = Last updated
opendata-sort-name = Title
opendata-filters = Filter results
opendata-facet-groups = Categories
opendata-facet-organization = Publishers
opendata-facet-res-format = Formats
opendata-facet-tags = Tags
opendata-facet-language = Languages
opendata-remove-filter = Remove filter:
opendata-found = { $plural ->
    [zero] No datasets found
    [one] 1 dataset found
   *[other] { $count } datasets found
}
opendata-paging = Pages of results
opendata-page-of = Page { $page } of { $pages }
opendata-previous = Previous page
opendata-next = Next page
opendata-resources = Data and resources
opendata-no-resources = This dataset has no files yet.
opendata-resource-name = Resource
opendata-resource-format = Format
opendata-resource-size = Size
opendata-resource-modified = Last modified
opendata-resource-checksum = Checksum
opendata-about = About this dataset
opendata-licence = Licence
opendata-frequency = Update frequency
opendata-temporal = Period covered
opendata-ongoing = ongoing
opendata-spatial = Area covered
opendata-contact = Contact
opendata-languages = Languages
opendata-api-link = This dataset through the CKAN API (JSON)
opendata-frequency-real-time = Real time
opendata-frequency-hourly = Hourly
opendata-frequency-daily = Daily
opendata-frequency-weekly = Weekly
opendata-frequency-monthly = Monthly
opendata-frequency-quarterly = Quarterly
opendata-frequency-yearly = Yearly
opendata-frequency-irregular = Irregular
opendata-frequency-not-updated = Not updated

# The catalogue's exports (DCAT-AP, DCAT-US).
opendata-dcat-title = Lionrock open data catalogue
opendata-exports = Machine-readable catalogue
opendata-export-turtle = DCAT-AP (Turtle)
opendata-export-jsonld = DCAT-AP (JSON-LD)
opendata-export-data-json = DCAT-US (data.json)
## Historical archive API: refused parameters
opendata-archive-day-required = A day is required, written YYYYMMDD (for example 20261201).
opendata-archive-bad-day = This is not a day: write it YYYYMMDD (for example 20261201).
opendata-archive-end-before-start = The end of the period is before its start.
opendata-archive-bad-time = This is not a time: write it YYYYMMDD-HHMM, Hong Kong time (for example 20261201-0930).
opendata-archive-bad-order = The order must be asc or desc.
opendata-archive-out-of-range = This number is outside the range allowed.
opendata-archive-too-long = This value is too long.
opendata-archive-url-required = The file's URL is required.
