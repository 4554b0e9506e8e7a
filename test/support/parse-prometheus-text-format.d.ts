// The package ships no types: what it returns, as its README describes it (prom2json's shape).
declare module 'parse-prometheus-text-format' {
  export interface PrometheusFamily {
    name: string;
    help: string;
    type: string;
    metrics: { value?: string; labels?: Record<string, string>; buckets?: Record<string, string>; count?: string; sum?: string }[];
  }
  export default function parsePrometheusTextFormat(text: string): PrometheusFamily[];
}
