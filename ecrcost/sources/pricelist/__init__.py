"""The AWS Price List as a source of prices: where products come from (:mod:`.offers`: the Query API
through boto3, or the bulk offer files in a folder), what each product is in the price book
(:mod:`.mapping`), and the book built from them (:mod:`.refresh`)."""
