# 身份：注册、验证、登录、账户。
register-title = 创建账户
register-intro = 一个账户即可使用所有公共服务。我们会把验证码发送到你的电子邮箱，以确认地址属于你。
register-submit = 创建账户
register-have-account = 已有账户？
field-email = 电子邮箱
field-new-password = 设置密码
field-password = 密码
password-hint = 请使用至少 { $min } 个字符。把几个互不相关的词语组合起来，既安全又容易记住。
email-missing = 请输入电子邮箱。
email-invalid = 请以正确格式输入电子邮箱，例如 name@example.com。
email-too-long = 电子邮箱不可多于 254 个字符。
password-missing = 请输入密码。
password-too-short = 密码至少要有 { $min } 个字符。
password-too-long = 密码不可多于 { $max } 个字符。
password-common = 这个密码太常见，容易被猜中。请另选一个。
password-context = 密码不可包含你的电子邮箱或本服务的名称。

verify-title = 请查看电子邮件
verify-intro = 我们已把 6 位数字验证码发送到你的电子邮箱，验证码 10 分钟后失效。
verify-sent-again = 我们已向你发送新的验证码。
verify-submit = 继续
verify-no-code = 收不到验证码？
verify-resend = 发送新的验证码
field-code = 验证码
code-hint = 电子邮件中的 6 位数字验证码，例如 123456。
code-missing = 请输入电子邮件中的验证码。
code-invalid = 验证码必须是 6 位数字。
code-wrong = 验证码不正确。你还有 { $tries } 次机会。
code-no-tries = 你输入错误验证码的次数太多。请获取新的验证码。
code-expired = 验证码已失效。请获取新的验证码。
code-resend-too-soon = 请等待一分钟再获取另一个验证码。如你已获取多次，请重新开始。

sign-in-title = 登录
sign-in-submit = 登录
sign-in-no-account = 还没有账户？
sign-in-failed = 电子邮箱或密码不正确。
sign-in-throttled = 使用此电子邮箱登录的尝试次数过多。请于 { $minutes } 分钟后再试。
sign-out = 退出登录

account-title = 你的账户
account-level = 身份级别
level-basic = 基本（已验证电子邮箱）
level-real-name = 实名（已核实身份证明文件）

email-code-subject = 你的狮子山验证码
email-code-body = 你的狮子山验证码是 { $code }，将于 { $minutes } 分钟后失效。如你没有获取验证码，可以忽略这封邮件；没有此验证码，任何人都不能使用你的地址。
email-exists-subject = 有人尝试以你的地址创建狮子山账户
email-exists-body = 有人尝试以此电子邮箱创建狮子山账户，但此地址已有账户。如果是你本人，请直接登录或重设密码。如果不是你，可以忽略这封邮件。
