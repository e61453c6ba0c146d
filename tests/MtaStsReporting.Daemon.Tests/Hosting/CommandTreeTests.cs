using MtaStsReporting.Daemon.Hosting;
using MtaStsReporting.Daemon.Tests.Support;

namespace MtaStsReporting.Daemon.Tests.Hosting;

/// <summary>The command tree: help for every command without side effects, and mistakes as one line with exit code 2.</summary>
public sealed class CommandTreeTests
{
    public static readonly TheoryData<string> Commands = new()
    {
        "serve", "import", "keys", "keys create", "keys list", "keys revoke", "domains", "summary", "trend", "breakdown", "reports", "report", "check", "readiness",
        "policy", "policy list", "policy show", "policy history", "policy set", "policy confirm", "forward",
    };

    private static async Task<(int Code, string Output, string Error)> RunAsync(params string[] args)
    {
        var (output, error) = (new StringWriter(), new StringWriter());
        var code = await CommandTree.RunAsync(args, output, error);
        return (code, output.ToString(), error.ToString());
    }

    [Fact]
    public async Task The_root_help_lists_every_command_and_the_settings_form()
    {
        var (code, output, error) = await RunAsync("--help");

        Assert.Equal((0, ""), (code, error));
        var commands = output[output.IndexOf("Commands:", StringComparison.Ordinal)..].Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Skip(1).Select(l => l.Split(' ')[0]).ToArray();
        Assert.Equal(["serve", "import", "keys", "domains", "summary", "trend", "breakdown", "reports", "report", "check", "readiness", "policy", "forward"], commands);
        Assert.Contains("--Section:Key=value", output, StringComparison.Ordinal);
        Assert.DoesNotContain("additional arguments", output, StringComparison.OrdinalIgnoreCase);
    }

    [Theory]
    [MemberData(nameof(Commands))]
    public async Task Every_command_has_help_that_names_its_usage(string command)
    {
        var (code, output, error) = await RunAsync([.. command.Split(' '), "--help"]);

        Assert.Equal((0, ""), (code, error));
        Assert.StartsWith("Description:", output, StringComparison.Ordinal);
        Assert.Contains($"  mtasts-reporting {command} ", output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(new[] { "domians" }, "mtasts-reporting: unknown command 'domians' (see mtasts-reporting --help)")]
    [InlineData(new[] { "--bogus" }, "mtasts-reporting: unknown command '--bogus' (see mtasts-reporting --help)")]
    [InlineData(new[] { "keys", "create", "--role", "god", "--name", "x" }, "mtasts-reporting keys create: Argument 'god' not recognized. Must be one of: 'relay' 'reader' 'admin' (see mtasts-reporting keys create --help)")]
    [InlineData(new[] { "keys" }, "mtasts-reporting keys: Required command was not provided. (see mtasts-reporting keys --help)")]
    [InlineData(new[] { "import" }, "mtasts-reporting import: Required argument missing for command: 'import'. (see mtasts-reporting import --help)")]
    [InlineData(new[] { "forward", "--to", "http://127.0.0.1:1" }, "mtasts-reporting forward: Option '--socket' is required. (see mtasts-reporting forward --help)")]
    [InlineData(new[] { "readiness", "a.example", "b.example" }, "mtasts-reporting readiness: unexpected argument 'b.example' (see mtasts-reporting readiness --help)")]
    [InlineData(new[] { "domains", "--bogus" }, "mtasts-reporting domains: unknown option '--bogus' (see mtasts-reporting domains --help)")]
    public async Task A_mistake_is_one_line_and_exit_code_2_before_anything_runs(string[] args, string line)
    {
        var (code, output, error) = await RunAsync(args);

        Assert.Equal((2, ""), (code, output));
        Assert.Equal(line, error.TrimEnd());
    }

    [Fact]
    public void A_setting_is_a_double_dash_section_and_key_with_a_value()
    {
        Assert.True(CommandTree.IsSetting("--Storage:DataDirectory=/var/lib/x"));
        Assert.True(CommandTree.IsSetting("--HttpApi:Url="));
        Assert.True(CommandTree.IsSetting("--Outbound:Mail:Host=a:b"));
        Assert.False(CommandTree.IsSetting("--urls=http://127.0.0.1:1"));
        Assert.False(CommandTree.IsSetting("--Storage:DataDirectory"));
        Assert.False(CommandTree.IsSetting("-S:x=1"));
        Assert.False(CommandTree.IsSetting("Storage:DataDirectory=x"));
        Assert.False(CommandTree.IsSetting("--=a:b"));
    }
}

/// <summary>The tables the commands print.</summary>
public sealed class TextTableTests
{
    [Fact]
    public void Columns_are_as_wide_as_their_widest_cell_and_numbers_are_right_aligned()
    {
        var table = new TextTable("NAME", "COUNT", "RATE", "NOTE").RightAligned(1, 2);
        table.Add("a.example", 5L, 0.5, "x");
        table.Add("longer.example", 12345L, 1.0 / 3);
        var output = new StringWriter();

        table.WriteTo(output);

        Assert.Equal(string.Join(Environment.NewLine,
            "NAME            COUNT    RATE  NOTE",
            "a.example           5  50.00%  x",
            "longer.example  12345  33.33%",
            ""), output.ToString());
        Assert.Equal(2, table.Count);
    }

    [Fact]
    public void A_row_with_more_cells_than_columns_is_refused()
    {
        var table = new TextTable("A", "B");
        Assert.Throws<ArgumentException>(() => table.Add("1", "2", "3"));
        table.Add("1", "2");
        Assert.Equal(1, table.Count);
    }
}
