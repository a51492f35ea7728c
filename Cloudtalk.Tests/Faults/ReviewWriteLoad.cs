using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using Cloudtalk.Tests.Infrastructure;

namespace Cloudtalk.Tests.Faults;

/// <summary>
/// A stream of concurrent review creates, updates and deletes through the REST API. It remembers what the Api
/// acknowledged (201, 200, 204): those writes must survive any fault. A write that got no clear answer (an
/// error or a timeout) may or may not have happened, so the review it touched is no longer checked or written.
/// </summary>
public sealed class ReviewWriteLoad(HttpClient api, IReadOnlyList<long> products, int writers = 6)
{
    private readonly ConcurrentDictionary<long, AcknowledgedReview> _acknowledged = new();
    private readonly ConcurrentDictionary<long, byte> _uncertain = new();
    private readonly ConcurrentDictionary<long, byte> _deleted = new();
    private readonly ConcurrentDictionary<string, int> _errorKinds = new(StringComparer.Ordinal);
    private long _attempted;
    private long _errors;

    public sealed record AcknowledgedReview(long ReviewId, long ProductId, int Rating);

    public long Attempted => Interlocked.Read(ref _attempted);

    public long Errors => Interlocked.Read(ref _errors);

    /// <summary>The errors by kind: an HTTP status code, a <see cref="HttpRequestError"/>, or "timeout".</summary>
    public string ErrorKinds => string.Join(", ", _errorKinds.OrderBy(kind => kind.Key, StringComparer.Ordinal)
        .Select(kind => string.Create(CultureInfo.InvariantCulture, $"{kind.Value}× {kind.Key}")));

    /// <summary>Reviews whose last acknowledged state is known, by id.</summary>
    public IReadOnlyDictionary<long, AcknowledgedReview> Acknowledged => _acknowledged;

    /// <summary>Reviews whose acknowledged delete must stay deleted.</summary>
    public IReadOnlyCollection<long> Deleted => (IReadOnlyCollection<long>)_deleted.Keys;

    public void ResetCounters()
    {
        Interlocked.Exchange(ref _attempted, 0);
        Interlocked.Exchange(ref _errors, 0);
        _errorKinds.Clear();
    }

    /// <summary>Writes until <paramref name="stop"/> is cancelled.</summary>
    public Task RunAsync(CancellationToken stop) =>
        Task.WhenAll(Enumerable.Range(0, writers).Select(writer => Task.Run(() => WriteAsync(writer, stop))));

    private async Task WriteAsync(int writer, CancellationToken stop)
    {
        var random = new Random(writer * 7919 + Environment.TickCount);
        while (!stop.IsCancellationRequested)
        {
            Interlocked.Increment(ref _attempted);
            var own = _acknowledged.Keys.Where(id => id % writers == writer % writers).ToArray();
            var choice = random.Next(100);
            try
            {
                if (own.Length == 0 || choice < 60)
                {
                    await CreateAsync(random);
                }
                else if (choice < 85)
                {
                    await UpdateAsync(own[random.Next(own.Length)], random);
                }
                else
                {
                    await DeleteAsync(own[random.Next(own.Length)]);
                }
            }
            catch (Exception exception) when (exception is HttpRequestException or TaskCanceledException)
            {
                CountError(exception is HttpRequestException { HttpRequestError: var error } ? error.ToString() : "timeout");
                await Task.Delay(50, CancellationToken.None);
            }
        }
    }

    private void CountError(HttpStatusCode status) => CountError(((int)status).ToString(CultureInfo.InvariantCulture));

    private void CountError(string kind)
    {
        Interlocked.Increment(ref _errors);
        _errorKinds.AddOrUpdate(kind, 1, (_, count) => count + 1);
    }

    private async Task CreateAsync(Random random)
    {
        var productId = products[random.Next(products.Count)];
        var rating = random.Next(1, 6);
        using var response = await api.PostJsonAsync("/api/reviews",
            new { productId, firstName = "Fault", lastName = "Load", reviewText = "Written under a fault.", rating });
        if (response.StatusCode != HttpStatusCode.Created)
        {
            CountError(response.StatusCode);
            return;
        }

        var id = (await response.ReadJsonAsync()).Id();
        _acknowledged[id] = new AcknowledgedReview(id, productId, rating);
    }

    private async Task UpdateAsync(long id, Random random)
    {
        var rating = random.Next(1, 6);
        _acknowledged.TryRemove(id, out var before);
        try
        {
            using var response = await api.PutJsonAsync($"/api/reviews/{id}", new { rating });
            if (response.StatusCode == HttpStatusCode.OK && before is not null)
            {
                _acknowledged[id] = before with { Rating = rating };
                return;
            }

            CountError(response.StatusCode);
            _uncertain[id] = 0;
        }
        catch
        {
            _uncertain[id] = 0;
            throw;
        }
    }

    private async Task DeleteAsync(long id)
    {
        _acknowledged.TryRemove(id, out _);
        try
        {
            using var response = await api.DeleteAsync($"/api/reviews/{id}");
            if (response.StatusCode == HttpStatusCode.NoContent)
            {
                _deleted[id] = 0;
                return;
            }

            CountError(response.StatusCode);
            _uncertain[id] = 0;
        }
        catch
        {
            _uncertain[id] = 0;
            throw;
        }
    }
}
