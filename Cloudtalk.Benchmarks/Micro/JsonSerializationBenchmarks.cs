using System.Text.Json;
using BenchmarkDotNet.Attributes;
using Cloudtalk.Api.Paging;
using Cloudtalk.Api.Products;

namespace Cloudtalk.Benchmarks.Micro;

/// <summary>What every read pays after the cache: turning a product, or a page of 100, into JSON.</summary>
[MemoryDiagnoser]
public class JsonSerializationBenchmarks
{
    private static readonly JsonSerializerOptions Web = new(JsonSerializerDefaults.Web);
    private ProductResponse _product = null!;
    private PagedList<ProductResponse> _page = null!;

    [GlobalSetup]
    public void Setup()
    {
        var created = new DateTime(2026, 11, 24, 10, 0, 0, DateTimeKind.Utc);
        _product = new ProductResponse(1, "Desk lamp", "Warm light", 39.9m, 4.5, 2, created, created.AddMinutes(5));
        var items = Enumerable.Range(1, 100)
            .Select(id => _product with { Id = id, Name = $"Product {id}" })
            .ToList();
        _page = new PagedList<ProductResponse>(items, 10, 1, 1000);
    }

    [Benchmark]
    public byte[] Product() => JsonSerializer.SerializeToUtf8Bytes(_product, Web);

    [Benchmark]
    public byte[] ListPageOf100() => JsonSerializer.SerializeToUtf8Bytes(_page, Web);
}
