using MtaStsReporting.Domain.TlsRpt.Outbound;

namespace MtaStsReporting.Domain.Tests.TlsRpt.Outbound;

public class DeliveryAnswerTests
{
    [Theory]
    [InlineData(250, DeliveryOutcome.Delivered)]
    [InlineData(200, DeliveryOutcome.Delivered)]
    [InlineData(299, DeliveryOutcome.Delivered)]
    [InlineData(421, DeliveryOutcome.Temporary)]
    [InlineData(451, DeliveryOutcome.Temporary)]
    [InlineData(400, DeliveryOutcome.Temporary)]
    [InlineData(499, DeliveryOutcome.Temporary)]
    [InlineData(500, DeliveryOutcome.Permanent)]
    [InlineData(550, DeliveryOutcome.Permanent)]
    [InlineData(354, DeliveryOutcome.Permanent)]
    [InlineData(199, DeliveryOutcome.Permanent)]
    public void Smtp_replies_are_delivered_temporary_or_permanent_by_their_first_digit(int code, DeliveryOutcome outcome)
    {
        var answer = DeliveryAnswer.FromSmtp(code, "5.7.1 no thanks");

        Assert.Equal(outcome, answer.Outcome);
        Assert.Equal($"{code} 5.7.1 no thanks", answer.Text);
    }

    [Theory]
    [InlineData(200, DeliveryOutcome.Delivered)]
    [InlineData(202, DeliveryOutcome.Delivered)]
    [InlineData(204, DeliveryOutcome.Delivered)]
    [InlineData(299, DeliveryOutcome.Delivered)]
    [InlineData(199, DeliveryOutcome.Permanent)]
    [InlineData(300, DeliveryOutcome.Permanent)]
    [InlineData(301, DeliveryOutcome.Permanent)]
    [InlineData(400, DeliveryOutcome.Permanent)]
    [InlineData(404, DeliveryOutcome.Permanent)]
    [InlineData(407, DeliveryOutcome.Permanent)]
    [InlineData(408, DeliveryOutcome.Temporary)]
    [InlineData(409, DeliveryOutcome.Permanent)]
    [InlineData(428, DeliveryOutcome.Permanent)]
    [InlineData(429, DeliveryOutcome.Temporary)]
    [InlineData(430, DeliveryOutcome.Permanent)]
    [InlineData(499, DeliveryOutcome.Permanent)]
    [InlineData(500, DeliveryOutcome.Temporary)]
    [InlineData(503, DeliveryOutcome.Temporary)]
    [InlineData(599, DeliveryOutcome.Temporary)]
    public void Http_statuses_are_delivered_temporary_or_permanent(int status, DeliveryOutcome outcome)
    {
        var answer = DeliveryAnswer.FromHttp(status, "Reason");

        Assert.Equal(outcome, answer.Outcome);
        Assert.Equal($"HTTP {status} Reason", answer.Text);
    }

    [Fact]
    public void Answers_without_text_have_no_trailing_space_and_an_unreachable_server_is_temporary()
    {
        Assert.Equal("HTTP 204", DeliveryAnswer.FromHttp(204, "").Text);
        Assert.Equal("250", DeliveryAnswer.FromSmtp(250, "").Text);
        Assert.Equal(new DeliveryAnswer(DeliveryOutcome.Temporary, "connection refused"), DeliveryAnswer.Unreachable("connection refused"));
    }
}
