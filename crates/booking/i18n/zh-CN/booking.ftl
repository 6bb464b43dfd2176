# 预约：计划、中心、时段及预约。

booking-period-date = 请以 YYYY-MM-DD 格式输入日期。
booking-period-range = 最后一日不可早于第一日，也不可迟于第一日之后 { $days } 日。
booking-document-kind = 请选择香港身份证或护照。
booking-document-hkid-format = 请按证件所印输入身份证号码，例如 A123456(3)。
booking-document-hkid-check = 此身份证号码无效：请检查括号内的数字。
booking-document-passport = 请输入护照号码（5 至 20 个字母及数字）及签发国家（3 个字母）。

error-booking-full-title = 名额已满
error-booking-full-detail = 此时段的名额已全部预约。请选择其他时间或中心。
error-booking-ineligible-title = 不符合预约资格
error-booking-ineligible-detail = { $reason ->
    [level] 此计划需要已核实身份的账户（实名级别）。
    [not-resident] 此计划只供香港身份证持有人预约。
    [birthdate-unknown] 此计划设有年龄限制，但我们没有此人的出生日期。
    [too-young] 此人于预约当日须年满 { $min } 岁。
    [too-old] 此人于预约当日不可超过 { $max } 岁。
    [course-complete] 此人已完成此计划的所有步骤。
    [too-soon] 下一步骤可由 { $date } 起预约。请选择较后的日子。
    [too-late] 下一步骤须于 { $date } 或之前完成。请致电计划热线。
    [other-product] 下一步骤须使用与上一步骤相同的产品。请选择提供该产品的中心。
    [not-open] 此计划现时不接受预约。
    [slot-past] 此时段已开始或已结束。请选择较后的时段。
    [document-needed] 请输入此人的身份证明文件：以确保每人只预约一次。
   *[other] 此人不可预约此时段。
}
error-booking-duplicate-title = 已经预约
error-booking-duplicate-detail = 此人已预约此计划的这个步骤。如要改期，请先取消现有预约。
error-booking-unknown-slot-title = 找不到时段
error-booking-unknown-slot-detail = 没有此时段。请从可预约时段中选择。
error-booking-unknown-booking-title = 找不到预约
error-booking-unknown-booking-detail = 你没有此编号的预约。
error-booking-unknown-person-title = 找不到此人
error-booking-unknown-person-detail = 你只可为自己及你照顾的人预约。
error-booking-already-cancelled-title = 已经取消
error-booking-already-cancelled-detail = 此预约已经取消。
error-booking-not-cancellable-title = 不可取消
error-booking-not-cancellable-detail = 此预约已到场、已缺席或时段已开始，因此不可再取消。
error-booking-slot-closed-title = 时段已关闭
error-booking-slot-closed-detail = 此时段已关闭。请选择其他时间或中心。
