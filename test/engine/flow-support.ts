// Flow trees as plain data, for comparing what a producer added with what Redis holds.
import type { JobNode } from '../../lib/index.js';

/** A JobNode tree as plain data: `name@queue#id` with its children, in order. */
export interface NodeShape {
  job: string;
  children?: NodeShape[];
}

export function shape(node: JobNode): NodeShape {
  const job = `${node.job.name}@${node.job.queueName}#${node.job.id}`;
  return node.children ? { job, children: node.children.map(shape) } : { job };
}

/** The same tree with every node's children sorted, for trees read back from Redis sets. */
export function sortedShape(node: NodeShape): NodeShape {
  if (!node.children) return node;
  return { job: node.job, children: node.children.map(sortedShape).sort((a, b) => a.job.localeCompare(b.job)) };
}
