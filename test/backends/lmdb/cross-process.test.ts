import { crossProcessSuite } from '../local-store/cross-process-suite.js';
import { freshDir, removeTempDirs } from './support.js';

after(removeTempDirs);
crossProcessSuite({ backend: 'lmdb', arguments: () => ({ path: freshDir() }) });
