namespace Cloudtalk.Common.Diagnostics;

/// <summary>
/// What a log line tells about an exception: the type and message of the innermost one (an EF Core
/// <c>DbUpdateException</c> says only "see the inner exception"), never its stack trace. Logs leave the process, to the
/// dashboard and any OTLP collector; a stack trace there tells an outsider how the service is built.
/// </summary>
/// <param name="Type">The exception's type name, without its namespace.</param>
/// <param name="Message">Its message (the clients used here never put credentials in one).</param>
public readonly record struct ErrorSummary(string Type, string Message)
{
    /// <summary>The summary of <paramref name="exception"/>'s innermost exception.</summary>
    public static ErrorSummary Of(Exception exception)
    {
        var innermost = exception.GetBaseException();
        return new ErrorSummary(innermost.GetType().Name, innermost.Message);
    }

    /// <summary>"Type: message", as log messages show it.</summary>
    public override string ToString() => $"{Type}: {Message}";
}
