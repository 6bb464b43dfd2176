# Credentials: signed health records, trust lists and the verifier.

## Records: what is wrong with a field
credentials-field-missing = 请填写此项。
credentials-date-invalid = 请以年-月-日输入日期，例如 2026-11-30。
credentials-time-invalid = 请输入带时差的日期和时间，例如 2026-11-30T09:15:00+08:00。
credentials-dose-invalid = 请输入 1 至 9 的整数。
credentials-name-too-long = 最多 80 个字符。
credentials-name-standardised-needed = 这个名字含有 A 至 Z 以外的字母：请按护照机读区的写法输入（大写，词与词之间用 <）。
credentials-name-standardised-invalid = 只可使用大写 A 至 Z 和 <，最多 80 个字符。
credentials-document-kind-invalid = 请选择香港身份证或护照。
credentials-hkid-invalid = 请输入香港身份证号码，例如 A123456(3)。
credentials-hkid-check-digit = 这个香港身份证号码的校验位不正确：请核对证件上的号码。
credentials-passport-invalid = 请输入护照号码（5 至 20 个字母和数字）及三个字母的签发国家代码，例如 CHN。
credentials-birth-date-out-of-range = 出生日期必须在 1900 年之后，且不能是将来的日期。
credentials-date-in-future = 不能是将来的日期。
credentials-validity-invalid = 有效期必须在开始当日或之后结束、不超过一年，且不能早于首次阳性检测。
credentials-kind-invalid = 请选择疫苗接种、检测、康复或豁免。
credentials-product-unknown = 请选择列出的疫苗。
credentials-test-type-unknown = 请选择核酸（PCR）检测或快速抗原检测。
credentials-test-result-unknown = 请选择未检出或检出。
credentials-reason-invalid = 请选择医学原因或临床试验。

## Errors
error-credentials-not-signable-title = 记录无法签署
error-credentials-not-signable-detail = 记录不符合数字新冠证书的规则，因此没有签发。
error-credentials-revoked-title = 记录已撤销
error-credentials-revoked-detail = 这份记录已被撤销或取代。
error-credentials-not-real-name-title = 身份尚未核实
error-credentials-not-real-name-detail = 工作人员或受信任来源核实你的身份证明文件后，你的记录便会在这里显示。
