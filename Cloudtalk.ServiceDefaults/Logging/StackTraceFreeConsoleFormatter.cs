using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Logging.Console;

namespace Cloudtalk.ServiceDefaults.Logging;

/// <summary>
/// The console layout of the built-in simple formatter ("warn: Category[id]", then the message indented), with an
/// exception written as its innermost type and message only (<see cref="SummarizedException"/>), and no stack frame
/// that a library wrote into the message itself (<see cref="StackFrameText"/>). Every logger goes
/// through it, the framework's and the clients' (EF Core, StackExchange.Redis, health checks) as well as ours; the
/// built-in formatters always write the whole stack trace and cannot be told otherwise.
/// </summary>
internal sealed class StackTraceFreeConsoleFormatter() : ConsoleFormatter(FormatterName)
{
    public const string FormatterName = "cloudtalk";

    private const string Indent = "      ";

    public override void Write<TState>(in LogEntry<TState> logEntry, IExternalScopeProvider? scopeProvider, TextWriter textWriter)
    {
        // The formatter of a LoggerMessage or ILogger.Log call ignores the exception it is given; passing none keeps it so.
        var message = StackFrameText.Remove(logEntry.Formatter(logEntry.State, null));
        if (string.IsNullOrEmpty(message) && logEntry.Exception is null)
        {
            return;
        }

        textWriter.Write(LevelName(logEntry.LogLevel));
        textWriter.Write(": ");
        textWriter.Write(logEntry.Category);
        textWriter.Write('[');
        textWriter.Write(logEntry.EventId.Id);
        textWriter.WriteLine(']');
        if (!string.IsNullOrEmpty(message))
        {
            WriteIndented(textWriter, message);
        }

        if (logEntry.Exception is { } exception)
        {
            WriteIndented(textWriter, SummarizedException.Describe(exception));
        }
    }

    private static void WriteIndented(TextWriter textWriter, string text)
    {
        textWriter.Write(Indent);
        textWriter.WriteLine(text.ReplaceLineEndings(Environment.NewLine + Indent));
    }

    private static string LevelName(LogLevel level) => level switch
    {
        LogLevel.Trace => "trce",
        LogLevel.Debug => "dbug",
        LogLevel.Information => "info",
        LogLevel.Warning => "warn",
        LogLevel.Error => "fail",
        LogLevel.Critical => "crit",
        _ => "none",
    };
}
