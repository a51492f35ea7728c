using System.Text.RegularExpressions;

namespace Cloudtalk.ServiceDefaults.Logging;

/// <summary>
/// Removes the frames of stack traces from a log message. Some libraries write an exception's <c>ToString()</c> into
/// the message itself, where there is no exception argument to summarize: EF Core's QueryIterationFailed and
/// SaveChangesFailed ("...{newline}{exception}") do, during a PostgreSQL restart. The exception's type and message
/// lines stay; only the "at ..." frames and the "--- End of ... ---" markers go.
/// </summary>
internal static partial class StackFrameText
{
    public static string Remove(string text) =>
        text.Contains("   at ", StringComparison.Ordinal) || text.Contains("--- End of ", StringComparison.Ordinal)
            ? FrameLine().Replace(text, string.Empty)
            : text;

    // A frame: "   at Namespace.Type.Method(...)" up to the line's end (a file and line may follow), with its line break.
    [GeneratedRegex(@"^[ \t]+(at [\w.+`<>\[\],|]+\(.*|--- End of .* ---)\r?(\n|$)", RegexOptions.Multiline)]
    private static partial Regex FrameLine();
}
