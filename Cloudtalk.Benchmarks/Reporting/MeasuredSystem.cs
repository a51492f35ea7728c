namespace Cloudtalk.Benchmarks.Reporting;

/// <summary>
/// The Cloudtalk system a run measures, told apart from any other running on the same machine (the test suite runs
/// several at once) by the broker connection string its services share: every system has a broker of its own.
/// Its processes are looked up again at each use, so a replica that restarts is still counted.
/// </summary>
/// <param name="BrokerConnection">The services' <c>ConnectionStrings__messaging</c>; null counts every process.</param>
public sealed record MeasuredSystem(string? BrokerConnection)
{
    private const string BrokerVariable = "ConnectionStrings__messaging";

    /// <summary>
    /// The system of the Api processes running now. When they belong to several systems it cannot tell which is
    /// meant, says so, and counts them all.
    /// </summary>
    public static MeasuredSystem OfRunningApi()
    {
        var brokers = ServiceProcess.Find("Cloudtalk.Api").Select(BrokerOf).Distinct().ToList();
        if (brokers is [{ } only])
        {
            return new MeasuredSystem(only);
        }

        if (brokers.Count > 1)
        {
            Console.WriteLine($"{brokers.Count} Cloudtalk systems run on this machine: memory and database figures count them all.");
        }

        return new MeasuredSystem(BrokerConnection: null);
    }

    /// <summary>The running processes of the named services that belong to this system.</summary>
    public IReadOnlyList<ServiceProcess> Find(params string[] names) =>
        ServiceProcess.Find(names).Where(process => BrokerConnection is null || BrokerOf(process) == BrokerConnection).ToList();

    /// <summary>The first process of the named service in this system; throws if none runs.</summary>
    public ServiceProcess Running(string name) =>
        Find(name) is [var first, ..]
            ? first
            : throw new InvalidOperationException($"No {name} process of the measured system on this machine: start it with ./run.sh.");

    private static string? BrokerOf(ServiceProcess process)
    {
        try
        {
            return process.Environment(BrokerVariable);
        }
        catch (IOException)
        {
            return null; // the process has exited
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }
    }
}
